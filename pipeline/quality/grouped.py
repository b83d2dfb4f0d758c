"""Several documents' rows validated in one GX run, each document getting the verdict it gets alone.

A GX validation of a small frame costs about the same whatever its rows (the work is per
expectation), so the run's validator validates the rows of the documents queued for a suite
together. A row-by-row expectation (GX's column-map `_validate`: a row fails or passes by its own
value) is run once on the documents' rows one after another, and its result is cut back into each
document's: the failing rows inside the document's block, shifted to the document's row numbers,
its counts, in GX's own result format. Any other expectation (values unique, anything over a
column or the table) is run on each document's rows alone. The failing values are read from the
document's own rows, as GX reads them (the first MAX_RESULT_RECORDS, in row order). When the joint
run reports an error in an expectation, each document is validated alone instead.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.quality.expectations import RESULT_FORMAT

if TYPE_CHECKING:
    from pipeline.quality.expectations import Suites, Verdict


def _cut(config: Any) -> str | None:
    """How a row-by-row expectation's result is cut per document ("map" or "not_null"), else None
    (the expectation is run on each document's rows)."""
    from great_expectations.expectations.core.expect_column_values_to_not_be_null import (
        ExpectColumnValuesToNotBeNull,
    )
    from great_expectations.expectations.expectation import ColumnMapExpectation

    from pipeline.quality.verdicts import ROW_BY_ROW

    kwargs = config.kwargs or {}
    if config.type not in ROW_BY_ROW or kwargs.get("mostly") not in (None, 1, 1.0):
        return None  # e.g. values unique: a row's verdict depends on the other rows
    if not isinstance(kwargs.get("column"), str):
        return None
    impl = config._get_expectation_impl()
    if impl is ExpectColumnValuesToNotBeNull:
        return "not_null"
    if issubclass(impl, ColumnMapExpectation) and impl._validate is ColumnMapExpectation._validate:
        return "map"
    return None


def _validate(suites: Suites, name: str, prepared: pd.DataFrame, configs: list[Any]) -> list[Any]:
    """GX's results of the expectations `configs` of suite `name` on `prepared`."""
    return suites.validated(name, prepared, SimpleNamespace(name=name, expectation_configurations=configs))


def _piece(r: Any, how: str, a: int, b: int, column: pd.Series) -> Any:
    """The result `r` of the joint run as the rows [a, b) alone give it (`column`: their values of
    the expectation's column, from their own frame)."""
    from great_expectations.constants import MAX_RESULT_RECORDS
    from great_expectations.core import ExpectationValidationResult
    from great_expectations.expectations.expectation import _format_map_output
    from great_expectations.expectations.expectation_configuration import parse_result_format

    rows = [int(i) - a for i in (r.result or {}).get("unexpected_index_list") or [] if a <= int(i) < b]
    total, unexpected = b - a, len(rows)
    if how == "not_null":
        nonnull = None
        success = total == 0 or unexpected == 0
    else:
        nonnull = total - int(column.isna().sum())
        success = total == 0 or nonnull == 0 or unexpected == 0
    formatted = _format_map_output(
        result_format=parse_result_format(dict(RESULT_FORMAT)),
        success=success,
        element_count=total,
        nonnull_count=nonnull,
        unexpected_count=unexpected,
        unexpected_list=list(column.iloc[rows[:MAX_RESULT_RECORDS]]),  # as GX lists them
        unexpected_index_list=rows,
        unexpected_rows=None,
        unexpected_index_query=None,
        unexpected_index_column_names=None,
    )
    return ExpectationValidationResult(
        success=success, expectation_config=copy.deepcopy(r.expectation_config), result=formatted["result"]
    )


def verdicts(suites: Suites, name: str, frames: Sequence[pd.DataFrame]) -> list[Verdict]:
    """Each frame's `Suites.verdict`, the row-by-row expectations validated in one run for all."""
    if sum(not f.empty for f in frames) < 2:
        return [suites.verdict(name, f) for f in frames]
    configs = list(suites.definitions[name].suite.expectation_configurations)
    cuts = [_cut(c) for c in configs]
    joint = [c for c, how in zip(configs, cuts, strict=True) if how]
    alone = [c for c, how in zip(configs, cuts, strict=True) if not how]
    if not joint:
        return [suites.verdict(name, f) for f in frames]
    prepared = [suites.narrowed(name, suites.prepare(name, f)) for f in frames if not f.empty]
    together = _validate(suites, name, pd.concat(prepared, ignore_index=True), joint)
    if any(r.exception_info.get("raised_exception") for r in together):
        return [suites.verdict(name, f) for f in frames]
    by_index = {(r.expectation_config.meta or {}).get("index"): r for r in together}
    out: list[Verdict] = []
    start, parts = 0, iter(prepared)
    for f in frames:
        if f.empty:
            out.append(suites.verdict(name, f))
            continue
        mine = next(parts)
        a, b = start, start + len(mine)
        start = b
        results = _validate(suites, name, mine, alone) if alone else []
        for c, how in zip(configs, cuts, strict=True):
            if how:
                r = by_index[(c.meta or {}).get("index")]
                column = str(c.kwargs.get("column"))
                results.append(_piece(r, how, a, b, mine[column] if column in mine else pd.Series([])))
        out.append(suites.judged(name, mine, results))
    return out
