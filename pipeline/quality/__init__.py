"""Stage 4: data-quality checks. Public: `Checker(rules)` (built once per worker; Great Expectations
is imported in this package only, lazily, and its context is built once per Checker),
`Checker.check(doc, studies, outcomes) -> list[Finding]` (or in two steps: `Checker.start(...)` runs
the checks and sends the GX suites' rows, `Checked.finish()` waits for their verdicts), and
`data_docs(studies, outcomes, findings, out_dir) -> Path` (GX Data Docs under out_dir/data_docs).
The gate for `trialex check` is `pipeline.quality.gate`.

Checks: the families of `pipeline.quality.families.FAMILIES`, run by the entries of
rules/checks.yml (which also hold their severities and thresholds), one module per kind:
expectations (GX suites of rules/expectations.yml: value_out_of_range, malformed_id, vocabulary,
provenance), consistency (text_table_mismatch, n_mismatch), logic, grim, ids (malformed_id,
duplicate_id, registry_mismatch), doses (registry_mismatch on dose levels), provenance
(refs_mismatch, design_phase), names (name_variant), units (unit_mismatch).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.model import SEVERITIES, Document, Finding, Outcome, Study
from pipeline.rules import Rules

if TYPE_CHECKING:
    import pandas as pd

    from pipeline.quality.expectations import Suites, Verdict
    from pipeline.quality.remote import Remote

__all__ = ["FAMILIES", "Checked", "Checker", "data_docs"]


def __getattr__(name: str) -> Any:
    # The check families (and pandas under them) load with the first Checker, not with the package:
    # the gate (`pipeline.quality.gate`) and a run whose outputs are current import none of them.
    if name == "FAMILIES":
        from pipeline.quality.families import FAMILIES

        return FAMILIES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Checker:
    def __init__(self, rules: Rules, validator: str | None = None) -> None:
        """`validator`: the address of the run's validator (`pipeline.quality.remote`), which then
        runs the GX suites for this checker; without one the checker builds its own."""
        from pipeline.quality import ids
        from pipeline.quality.families import instances

        self.rules, self.validator = rules, validator
        conf = rules.get("checks") or {}
        self.checks = conf.get("checks") or {}
        self.phase_aliases = conf.get("phase_aliases") or {}
        self.stop_words = list(conf.get("subject_stop_words") or ())
        self.instances = instances(self.checks)  # validates rules/checks.yml: a bad entry fails here
        self.registry = ids.Registry(rules.get("registry"))
        self._suites: Suites | Remote | None = None

    @property
    def check_names(self) -> list[str]:
        """Every check family of rules/checks.yml: junit.xml gets a case per check and document."""
        return list(self.checks)

    @property
    def suites(self) -> Suites | Remote:
        """The GX context and suites, built on first use (GX import costs seconds), or the run's
        validator standing in for them."""
        if self._suites is None:
            if self.validator:
                from pipeline.quality.remote import Remote

                self._suites = Remote(self.validator, lambda: suites(self.rules))
            else:
                self._suites = suites(self.rules)
        return self._suites

    def warm(self) -> Checker:
        """Import GX and build the context and suites now (a worker without a validator calls this
        once at start-up, so the first document's check time is not the GX set-up time)."""
        self.suites  # noqa: B018
        return self

    def check(self, doc: Document, studies: list[Study], outcomes: list[Outcome]) -> list[Finding]:
        return self.start(doc, studies, outcomes).finish()

    def start(self, doc: Document, studies: list[Study], outcomes: list[Outcome]) -> Checked:
        """Every check run, the GX suites' rows sent (to the run's validator, if any): `finish()`
        gives the findings once the verdicts are in, meanwhile the worker may do other work. The
        document itself is not read after this (it may be shed)."""
        from pipeline.quality.families import Context

        ctx = Context(
            doc,
            studies,
            outcomes,
            self.registry,
            self.phase_aliases,
            lambda: self.suites,
            self.rules.data,
            self.stop_words,
        )
        sent = getattr(self._suites, "sent", 0)  # the validator's requests before this document's
        found: list[list[Finding] | Callable[[], list[Finding]]] = []
        for family, inst in self.instances:
            found.append(family.send(ctx, inst) if family.send else family.run(ctx, inst))
        remote = self._suites if getattr(self._suites, "sent", 0) > sent else None
        return Checked(found, studies, remote)


class Checked:
    """A document's checks done, some findings perhaps waiting for the validator (`waiting`)."""

    def __init__(
        self,
        found: list[list[Finding] | Callable[[], list[Finding]]],
        studies: list[Study],
        remote: Remote | None,
    ) -> None:
        self._found, self._studies = found, studies
        self._remote, self._ticket = remote, remote.sent if remote else 0

    @property
    def waiting(self) -> bool:
        """Whether `finish` will read a verdict of the run's validator (and may wait for it)."""
        return self._remote is not None and not self._remote.answered(self._ticket)

    def finish(self) -> list[Finding]:
        """The findings of every check, in the order the checks ran."""
        found: list[Finding] = []
        for part in self._found:
            found += part if isinstance(part, list) else part()
        self._remote = None
        return _dedupe(_named(found, self._studies))


def _named(findings: list[Finding], studies: list[Study]) -> list[Finding]:
    """A finding about one study names its trial and product even when the outcomes it cites
    did not carry them (the curator, and the report, read the names)."""
    by_id = {s.study_id: s for s in studies}
    for f in findings:
        s = by_id.get(f.study_id)
        if s is not None:
            f.trial = f.trial or s.trial
            f.product = f.product or s.product
    return findings


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per id (the same subject seen twice, e.g. an id on a study and its outcomes),
    ordered by severity then check."""
    seen: dict[str, Finding] = {}
    for f in findings:
        seen.setdefault(f.finding_id, f)
    return sorted(seen.values(), key=lambda f: (SEVERITIES.index(f.severity), f.check, f.study_id, f.metric))


def suites(rules: Rules) -> Suites:
    """The GX suites of rules/expectations.yml (imports GX)."""
    from pipeline.quality.expectations import Suites

    return Suites(rules.get("expectations") or {}, _metrics(rules))


def _metrics(rules: Rules) -> list[str]:
    return list((rules.get("metrics") or {}).get("metrics") or {})


def data_docs(
    studies: pd.DataFrame,
    outcomes: pd.DataFrame,
    findings: pd.DataFrame,
    out_dir: Path,
    rules: Rules | None = None,
    suites: Suites | None = None,
    verdicts: Mapping[str, Mapping[str, Verdict]] | None = None,
) -> Path:
    """Write GX Data Docs under out_dir/data_docs: the studies and outcomes suites, and one
    'consistency' suite whose expectations (one per check of rules/checks.yml) list the findings.
    `suites`: those of `rules` already built (e.g. by the run's validator), else built here;
    `verdicts`: by suite and doc_id, the validator's results on the documents' rows (reused)."""
    from pipeline.quality.docs import write

    if rules is None:
        from pipeline.rules import load

        rules = load()
    return write(studies, outcomes, findings, Path(out_dir), rules, _metrics(rules), suites, verdicts)
