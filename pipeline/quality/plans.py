"""Great Expectations' per-run planning, done once per expectation instead of once per validation.

Most of a GX validation of a small frame is not the pandas work but GX working out, for each
expectation, which metrics it needs (`Validator._generate_metric_dependency_subgraphs_for_each_
expectation_configuration`: its metric kwargs, `MetricConfiguration`s and their dependency graph),
then, per expectation again, rebuilding its `ExpectationConfiguration` from the pydantic model some
seventy times (`Expectation.configuration`, a property that builds a new one on every read, and
`ExpectationConfiguration.to_domain_obj`, which builds a new `Expectation` on every call). For a
suite validated again and again on batches of one asset the plan is the same every time: it is
fixed by the expectation's configuration, the batch id (a whole-dataframe asset's batch has the
same id whatever the frame) and the run's options, never by the rows.

`install()` (on the pinned GX version only: `PINNED`) wraps these three GX functions:
- the planning keeps each expectation's plan (its `ExpectationValidationGraph`) by everything it is
  made from (`_key`), and plans only the expectations it has not seen; a plan that failed is never
  kept (its error result is made again on each run, as GX does). Planning fills defaults into the
  run's options (result_format): a kept plan leaves them as its planning did;
- `Expectation.configuration` and `ExpectationConfiguration.to_domain_obj` give the same object
  again for the same instance, but only inside `same_run()` (a validation, where GX builds these
  objects itself and changes none of them); outside it they are GX's own.
The results are GX's own, field for field (tests/test_quality_plans.py compares every suite's
results with and without, and fails if a GX upgrade changes what this relies on).
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from typing import Any

PINNED = "1.24.1"  # the GX version whose internals this was read from (pyproject pins it)

_run = threading.local()  # .memo: {id(obj): (obj, made)} inside same_run(), else absent
# everything a plan is made from -> (its ExpectationValidationGraph, the run's options after it)
_plans: dict[tuple[Any, ...], tuple[Any, dict | None]] = {}


def supported() -> bool:
    import great_expectations as gx

    return gx.__version__ == PINNED


@contextlib.contextmanager
def same_run() -> Iterator[None]:
    """While inside: an expectation (or configuration) hands out one configuration (or
    expectation), built on first use (this thread only; nested calls share the outer memo)."""
    if getattr(_run, "memo", None) is not None:
        yield
        return
    _run.memo = {}
    try:
        yield
    finally:
        _run.memo = None


def _memo(obj: Any, make: Any) -> Any:
    memo = getattr(_run, "memo", None)
    if memo is None:
        return make(obj)
    hit = memo.get(id(obj))
    if hit is None or hit[0] is not obj:  # the memo holds obj: its id is not reused meanwhile
        hit = memo[id(obj)] = (obj, make(obj))
    return hit[1]


def _key(config: Any, batch_id: Any, runtime: Any, catch: bool) -> tuple[Any, ...]:
    """Everything the plan of `config` is made from (repr: kwargs hold lists and dicts)."""
    return (
        config.type,
        repr(config.kwargs),
        repr(config.meta),
        config.id,
        config.notes,
        config.description,
        str(config.severity),
        repr(config.rendered_content),
        batch_id,
        repr(runtime),
        catch,
    )


def install() -> bool:
    """Wrap GX's planning and configuration builders (once per process); False (and nothing
    done) on another GX version than `PINNED`."""
    if not supported():
        return False
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.validator.validator import Validator

    plan = Validator._generate_metric_dependency_subgraphs_for_each_expectation_configuration
    if getattr(plan, "_trialex", False):
        return True
    configuration = Expectation.configuration.fget
    to_domain_obj = ExpectationConfiguration.to_domain_obj

    def planned(
        self: Any,
        expectation_configurations: list[Any],
        processed_configurations: list[Any],
        catch_exceptions: bool,
        runtime_configuration: dict | None = None,
    ) -> tuple[list[Any], list[Any], list[Any]]:
        graphs: list[Any] = []
        evrs: list[Any] = []
        for config in expectation_configurations:
            key = _key(config, self.active_batch_id, runtime_configuration, catch_exceptions)
            kept = _plans.get(key)
            if kept is None:
                made, failed, _ = plan(self, [config], [], catch_exceptions, runtime_configuration)
                evrs += failed
                if failed or len(made) != 1:
                    continue
                kept = _plans[key] = (made[0], copy.deepcopy(runtime_configuration))
            elif runtime_configuration is not None:  # as planning leaves it (GX fills in defaults)
                runtime_configuration.clear()
                runtime_configuration.update(copy.deepcopy(kept[1]))
            graphs.append(kept[0])
            processed_configurations.append(kept[0].configuration)
        return graphs, evrs, processed_configurations

    planned._trialex = True  # type: ignore[attr-defined]
    Validator._generate_metric_dependency_subgraphs_for_each_expectation_configuration = planned  # type: ignore[method-assign]
    Expectation.configuration = property(lambda self: _memo(self, configuration))  # type: ignore[method-assign,assignment]
    ExpectationConfiguration.to_domain_obj = lambda self: _memo(self, to_domain_obj)  # type: ignore[method-assign]
    return True
