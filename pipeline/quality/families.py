"""Check families: each a function `(Context, Instance) -> list[Finding]`, registered by name in
`FAMILIES` (read-only). rules/checks.yml runs them: every entry under `checks:` whose key (or its
`family:`) names a family runs it with the entry as its configuration, unless `enabled: false`.
So a curator adds a check without code by adding an entry of an existing family, e.g.

    response_subsets_extra: {family: logic, emits: logic, pairs: [{rule: x, lower: CR, upper: ORR}]}

`emits` (default: the family's own check name) is the `check` of its findings; the entry's
severity keys override those of the check it emits. Entries naming no family are severity-only
(their findings come from another family, e.g. `expectation` from `value_out_of_range`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pipeline.model import Document, Finding, Outcome, Study
from pipeline.quality import codes, consistency, doses, duplicates, ids, names, ranges, spelling, units
from pipeline.quality.findings import Severities
from pipeline.quality.grim import GrimCheck
from pipeline.quality.logic import LogicCheck, parse_rules
from pipeline.quality.provenance import DesignPhase, refs_mismatches
from pipeline.quality.subjects import Subjects

if TYPE_CHECKING:
    from pipeline.quality.expectations import Suites
    from pipeline.quality.remote import Remote


@dataclass
class Context:
    """What every family may read: the document, its records, and what the checker built once."""

    doc: Document
    studies: Sequence[Study]
    outcomes: Sequence[Outcome]
    registry: ids.Registry
    phase_aliases: Mapping[str, str]
    suites: Callable[[], Suites | Remote]
    rules: Mapping[str, Any] = field(default_factory=dict)  # the whole rules mapping (products, trials)
    stop_words: Sequence[str] = ()  # capitalised words that are never a trial's name (checks.yml)
    _subjects: Subjects | None = None

    @property
    def subjects(self) -> Subjects:
        """Who each mention is about (built once per document, on first use)."""
        if self._subjects is None:
            self._subjects = Subjects(self.doc, self.studies, self.stop_words)
        return self._subjects


@dataclass(frozen=True)
class Instance:
    """One entry of rules/checks.yml: its key, the check its findings carry, its configuration, and
    severities where that check's keys are overridden by the entry's."""

    name: str
    emits: str
    conf: Mapping[str, Any]
    sev: Severities


Run = Callable[[Context, Instance], list[Finding]]
Later = Callable[[], list[Finding]]  # findings that wait for a verdict (the run's GX validator)


@dataclass(frozen=True)
class Family:
    run: Run
    emits: str  # the check name of its findings unless the entry says `emits`
    validate: Callable[[Mapping[str, Any]], object] | None = None  # raises ValueError on a bad entry
    # `run` in two steps, for a family that waits on another process: work done and requests sent,
    # then (`Later`) the findings, once the answers are there
    send: Callable[[Context, Instance], Later] | None = None


def _expectations(c: Context, i: Instance) -> list[Finding]:
    return _expectations_sent(c, i)()


def _expectations_sent(c: Context, i: Instance) -> Later:
    """The rows go to the suites now; their findings are made when the verdicts are asked for."""
    if not (c.studies or c.outcomes):  # nothing for the suites to validate: GX is not even imported
        return list
    from pipeline.quality.expectations import frame

    d, studies, outcomes, suites = c.doc.doc_id, c.studies, c.outcomes, c.suites()
    on_studies = suites.submit("studies", frame(list(studies), Study))
    on_outcomes = suites.submit("outcomes", frame(list(outcomes), Outcome))
    return lambda: (
        ranges.from_failures(d, on_studies(), studies, i.sev)
        + ranges.from_failures(d, on_outcomes(), outcomes, i.sev)
    )


def _text_table(c: Context, i: Instance) -> list[Finding]:
    d = c.doc.doc_id
    return consistency.text_table_values(d, c.outcomes, i.sev) + consistency.text_table_phases(
        d, c.studies, i.sev, c.phase_aliases
    )


def _n_mismatch(c: Context, i: Instance) -> list[Finding]:
    return consistency.n_mismatch(c.doc.doc_id, c.studies, c.outcomes, i.sev, c.doc)


def _logic(c: Context, i: Instance) -> list[Finding]:
    return LogicCheck(i.conf, i.sev, i.emits).run(c.doc.doc_id, c.outcomes)


def _grim(c: Context, i: Instance) -> list[Finding]:
    g = GrimCheck(i.conf, i.sev)
    return (
        g.outcomes(c.doc.doc_id, c.studies, c.outcomes, {t.table_id: t.caption for t in c.doc.tables})
        + g.text(c.doc, c.subjects)
        + g.cells(c.doc, c.subjects)
    )


def _malformed(c: Context, i: Instance) -> list[Finding]:
    return ids.malformed_mentions(c.doc, c.studies, c.subjects, i.conf, i.sev)


def _duplicate(c: Context, i: Instance) -> list[Finding]:
    return ids.duplicate_ids(c.doc, c.studies, c.registry, i.sev) + ids.duplicate_mentions(
        c.doc, c.subjects, c.registry, i.sev
    )


def _two_ids(c: Context, i: Instance) -> list[Finding]:
    return ids.two_ids(c.doc, c.subjects, c.registry, i.sev, i.emits)


def _registry(c: Context, i: Instance) -> list[Finding]:
    d = c.doc.doc_id
    return ids.registry_mismatches(d, c.studies, c.registry, i.sev, c.phase_aliases) + doses.dose_mismatches(
        d, c.studies, c.outcomes, c.registry, i.sev
    )


def _refs(c: Context, i: Instance) -> list[Finding]:
    return refs_mismatches(c.doc.doc_id, c.studies, i.sev)


def _design(c: Context, i: Instance) -> list[Finding]:
    return DesignPhase(i.conf, i.sev, c.phase_aliases).run(c.doc, list(c.studies), list(c.outcomes))


def _names(c: Context, i: Instance) -> list[Finding]:
    return names.name_variants(c.doc.doc_id, c.doc.mentions, i.conf, i.sev, c.subjects)


def _spellings(c: Context, i: Instance) -> list[Finding]:
    return spelling.misspellings(c.doc, c.studies, c.subjects, c.rules, i.conf, i.sev, i.emits)


def _codes(c: Context, i: Instance) -> list[Finding]:
    return codes.code_variants(c.doc, c.studies, c.outcomes, c.subjects, c.rules, i.conf, i.sev, i.emits)


def _units(c: Context, i: Instance) -> list[Finding]:
    return units.unit_mismatches(c.doc.doc_id, c.outcomes, i.conf, i.sev)


def _dose_units(c: Context, i: Instance) -> list[Finding]:
    return units.header_units(c.doc, c.subjects, i.conf, i.sev, i.emits)


def _same_study(c: Context, i: Instance) -> list[Finding]:
    return duplicates.same_study_twice(c.doc, c.subjects, i.conf, i.sev, i.emits)


FAMILIES: Mapping[str, Family] = MappingProxyType(
    {
        "value_out_of_range": Family(_expectations, "value_out_of_range", send=_expectations_sent),
        "text_table_mismatch": Family(_text_table, "text_table_mismatch"),
        "n_mismatch": Family(_n_mismatch, "n_mismatch"),
        "logic": Family(_logic, "logic", parse_rules),
        "grim": Family(_grim, "grim"),
        "malformed_id": Family(_malformed, "malformed_id"),
        "duplicate_id": Family(_duplicate, "duplicate_id"),
        "two_ids": Family(_two_ids, "duplicate_id"),
        "registry_mismatch": Family(_registry, "registry_mismatch"),
        "refs_mismatch": Family(_refs, "refs_mismatch"),
        "design_phase": Family(_design, "design_phase"),
        "name_variant": Family(_names, "name_variant"),
        "misspelling": Family(_spellings, "name_variant"),
        "code_variant": Family(_codes, "name_variant"),
        "unit_mismatch": Family(_units, "unit_mismatch"),
        "dose_unit": Family(_dose_units, "unit_mismatch"),
        "same_study_twice": Family(_same_study, "duplicate_id"),
    }
)


def instances(checks: Mapping[str, Any]) -> list[tuple[Family, Instance]]:
    """The entries of rules/checks.yml that run, in file order, each with its family. An entry
    naming an unknown family (or `emits` no check entry) is a rules error, raised here (at load)."""
    out = []
    for name, raw in checks.items():
        conf = raw or {}
        if not isinstance(conf, Mapping):
            raise ValueError(f"rules/checks.yml: checks.{name} must be a mapping, not {type(conf).__name__}")
        fam_name = conf.get("family", name)
        fam = FAMILIES.get(fam_name)
        if fam is None:
            if "family" in conf:
                raise ValueError(
                    f"rules/checks.yml: checks.{name}: unknown family {fam_name!r} "
                    f"(known: {', '.join(sorted(FAMILIES))})"
                )
            continue  # severity-only entry
        if conf.get("enabled") is False:
            continue
        if fam.validate is not None:
            fam.validate(conf)
        emits = str(conf.get("emits") or fam.emits)
        merged = {**(checks.get(emits) or {}), **conf} if emits != name else dict(conf)
        out.append((fam, Instance(name, emits, merged, Severities({**checks, emits: merged}))))
    return out
