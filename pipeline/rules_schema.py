"""Typed models of the rules files, checked when the rules are loaded: a typo in `rules/` is a usage
error naming the file, the key and the reason (exit 2), never an AttributeError in every document.

Models type the keys the pipeline reads and allow keys they do not know (a curator's note, a key a
newer stage reads), so they catch wrong shapes, wrong types, bad severities and regexes that do not
compile, the mistakes that break a run.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SEVERITIES = ("error", "warning", "info")
Strings = list[str]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


def _severities(value: Any, where: str = "") -> None:
    """Every `severity` / `*_severity` / `severity_by_*` value under `value` is a known severity."""
    if isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            if "severity" in key:
                vals = v.values() if isinstance(v, dict) else [v]
                for s in vals:
                    if s not in SEVERITIES:
                        raise ValueError(f"@{where}{key}|{s!r} is not one of {', '.join(SEVERITIES)}")
            else:
                _severities(v, f"{where}{key}.")
    elif isinstance(value, list):
        for item in value:
            _severities(item, where)


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as e:
        raise ValueError(f"not a valid regular expression: {e}") from e
    return value


class Check(_Open):
    severity: str
    description: str = ""
    family: str = ""  # the registered check family this entry runs (pipeline.quality.families)
    emits: str = ""  # the check name of its findings
    enabled: bool = True

    @field_validator("severity")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in SEVERITIES:
            raise ValueError(f"{v!r} is not one of {', '.join(SEVERITIES)}")
        return v


class ChecksFile(_Open):
    checks: dict[str, Check]
    phase_aliases: dict[str, str] = Field(default_factory=dict)

    @field_validator("checks", mode="before")
    @classmethod
    def _nested(cls, v: Any) -> Any:
        _severities(v)
        return v


class Metric(_Open):
    unit: str
    synonyms: Strings


class Grade3(_Open):
    cues: Strings = Field(default_factory=list)
    events: dict[str, Strings] = Field(default_factory=dict)


class MetricsFile(_Open):
    metrics: dict[str, Metric]
    median_of: dict[str, str] = Field(default_factory=dict)
    grade3: Grade3 = Field(default_factory=Grade3)


class Expectation(_Open):
    type: str
    kwargs: dict[str, Any] = Field(default_factory=dict)


class ExpectationsFile(_Open):
    suites: dict[str, list[Expectation]]


class Named(_Open):
    canonical: str


class ProductsFile(_Open):
    products: list[Named]


class TargetsFile(_Open):
    targets: list[Named]
    combination_joiners: Strings = Field(default_factory=list)


class Trial(_Open):
    name: str
    aliases: Strings = Field(default_factory=list)


class TrialsFile(_Open):
    trials: list[Trial]


class ReviewFile(_Open):
    low_confidence: float = Field(0.7, ge=0.0, le=1.0)
    valid_id_patterns: Strings = Field(default_factory=list)

    @field_validator("valid_id_patterns")
    @classmethod
    def _compiles(cls, v: Strings) -> Strings:
        return [_regex(p) for p in v]

    model_config = ConfigDict(extra="allow", strict=False)  # 1 and 0.5 are both numbers


Section = dict[str, Any]


class NerFile(_Open):
    tokenizer: Section = Field(default_factory=dict)
    sentences: Section = Field(default_factory=dict)
    fuzzy: Section = Field(default_factory=dict)
    generic: Section = Field(default_factory=dict)
    values: Section = Field(default_factory=dict)
    n: Section = Field(default_factory=dict)
    timepoint: Section = Field(default_factory=dict)
    phase: Section = Field(default_factory=dict)
    cohort: Section = Field(default_factory=dict)
    arm: Section = Field(default_factory=dict)
    registry_ids: Section = Field(default_factory=dict)
    metric_skip: Strings = Field(default_factory=list)


class RecordsFile(_Open):
    columns: dict[str, Strings]
    designs: dict[str, Strings] = Field(default_factory=dict)
    arms: dict[str, Strings] = Field(default_factory=dict)
    subgroups: dict[str, Strings] = Field(default_factory=dict)
    author_cue: str = ""
    value_before_metric: str = ""
    subset_after_count: str = ""
    nonschema_headers: Strings = Field(default_factory=list)
    whole_population_rows: Strings = Field(default_factory=list)
    note_population: str = ""
    baseline_captions: Strings = Field(default_factory=list)

    @field_validator("author_cue", "value_before_metric", "subset_after_count", "note_population")
    @classmethod
    def _compiles(cls, v: str) -> str:
        return _regex(v)


class Pattern(_Open):
    label: str
    pattern: list[dict[str, Any]]


FILES: dict[str, type[BaseModel]] = {
    "checks": ChecksFile,
    "metrics": MetricsFile,
    "expectations": ExpectationsFile,
    "products": ProductsFile,
    "targets": TargetsFile,
    "trials": TrialsFile,
    "registry": TrialsFile,
    "review": ReviewFile,
    "ner": NerFile,
    "records": RecordsFile,
}


def _line(error: Any) -> str:
    """`key.path: reason` of one pydantic error (a nested severity names its own path after `@`)."""
    where = ".".join(str(p) for p in error["loc"])
    msg = str(error["msg"]).removeprefix("Value error, ")
    if msg.startswith("@") and "|" in msg:
        inner, msg = msg[1:].split("|", 1)
        where = f"{where}.{inner}" if where else inner
    return f"{where or '(top level)'}: {msg}"


def problems(name: str, content: Any, file: str) -> list[str]:
    """What is wrong with one loaded rules file, as `file: key: reason` lines (empty when valid)."""
    if name == "patterns":
        if not isinstance(content, list):
            return [f"{file}: expected one JSON object a line"]
        out = []
        for i, line in enumerate(content):
            try:
                Pattern.model_validate(line)
            except ValidationError as e:
                out += [f"{file} line {i + 1}: {_line(x)}" for x in e.errors()]
        return out
    model = FILES.get(name)
    if model is None:
        return []
    if not isinstance(content, dict):
        return [f"{file}: expected a mapping of keys, got {type(content).__name__}"]
    try:
        model.model_validate(content)
    except ValidationError as e:
        return [f"{file}: {_line(x)}" for x in e.errors()]
    return []
