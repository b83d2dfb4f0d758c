"""Great Expectations (GX Core 1.x) suites built from rules/expectations.yml and run on the
studies/outcomes rows of a document. GX is imported here only, lazily, when a `Suites` is built:
it costs seconds on import, so one `Suites` (one ephemeral context) serves every document."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.model import Outcome, Study


class RulesError(ValueError):
    """rules/expectations.yml or rules/checks.yml cannot be turned into suites."""


@dataclass(frozen=True)
class Failure:
    """One row failing one expectation."""

    suite: str
    check: str
    note: str
    column: str
    row: int
    value: Any


def frame(rows: Sequence[Study | Outcome], kind: type) -> pd.DataFrame:
    """Rows as a DataFrame with every column of the dataclass, even when there are no rows."""
    cols = list(kind.__dataclass_fields__)
    # the fields are flat (str, int, float, None): getattr gives what asdict's deep copy gives, faster
    df = pd.DataFrame([[getattr(r, c) for c in cols] for r in rows], columns=cols)
    for c in ("value", "n", "timepoint_months", "page", "n_table", "n_text", "confidence"):
        if c in df:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    if "n" in df:
        df["n_whole"] = df["n"].isna() | (df["n"] == df["n"].round())
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].fillna("").astype(str)
    return df


@dataclass(frozen=True)
class _Derived:
    """A column holding `column` where `condition` holds (pandas query syntax), null elsewhere."""

    name: str
    column: str
    condition: str
    not_null: bool = False


RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False}


class Suites:
    """An ephemeral GX context holding one suite, asset and validation definition per suite of
    rules/expectations.yml (plus any extra suites). Data Docs are our own page (quality/docs.py)."""

    def __init__(
        self,
        spec: Mapping[str, Any],
        metrics: Sequence[str],
        extra: Mapping[str, list[dict]] | None = None,
    ) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no network calls from a batch run
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        from pipeline.quality import plans

        plans.install()  # GX plans each expectation once, not on every validation
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = self.context.data_sources.add_pandas("trialex")
        suites = dict((spec or {}).get("suites") or {})
        suites.update(extra or {})
        if not suites:
            raise RulesError("rules/expectations.yml has no suites")
        self.entries: dict[str, list[dict]] = {}
        self.definitions: dict[str, Any] = {}
        self.derived: dict[str, list[_Derived]] = {}
        self.read: dict[str, list[str] | None] = {}  # the columns each suite's expectations read
        for name, entries in suites.items():
            self.derived[name] = []
            suite = self.context.suites.add(gx.ExpectationSuite(name=name))
            for i, entry in enumerate(entries or ()):
                suite.add_expectation(self._expectation(name, i, entry, metrics))
            batch = source.add_dataframe_asset(name=name).add_batch_definition_whole_dataframe(name)
            vd = gx.ValidationDefinition(name=name, data=batch, suite=suite)
            self.definitions[name] = self.context.validation_definitions.add(vd)
            self.entries[name] = list(entries or ())
            self.read[name] = _read(suite.expectation_configurations)

    def _expectation(self, suite: str, i: int, entry: Mapping[str, Any], metrics: Sequence[str]):
        cls = getattr(self.gx.expectations, str(entry.get("type", "")), None)
        if cls is None:
            raise RulesError(
                f"expectations.yml suite {suite} #{i + 1}: unknown expectation type {entry.get('type')!r}"
            )
        kwargs = dict(entry.get("kwargs") or {})
        for k, v in kwargs.items():
            if v == "@metrics":  # the metric vocabulary of rules/metrics.yml
                kwargs[k] = list(metrics)
        cond = kwargs.pop("row_condition", None)
        kwargs.pop("condition_parser", None)
        if cond and "column" in kwargs:
            # GX filters rows with DataFrame.query once per metric of the expectation (about half
            # of a validation's time on small frames); instead the condition is evaluated once per
            # document into a derived column that holds the value where the condition holds and a
            # null elsewhere (nulls are skipped by column-map expectations; for not-null checks the
            # rows outside the condition get a placeholder).
            column = kwargs["column"]
            derived = f"{column} [{cond}]"
            self.derived[suite].append(
                _Derived(derived, column, str(cond), cls.__name__ == "ExpectColumnValuesToNotBeNull")
            )
            kwargs["column"] = derived
        meta = {"check": entry.get("check", "expectation"), "note": entry.get("note", ""), "index": i}
        try:
            return cls(**kwargs, meta=meta, description=entry.get("description") or None)
        except Exception as e:  # pydantic validation of a hand-edited rule: say which one
            raise RulesError(f"expectations.yml suite {suite} #{i + 1} ({entry.get('type')}): {e}") from e

    def prepare(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        """The frame with the derived columns of the suite's row conditions."""
        df = df.reset_index(drop=True)
        if not self.derived.get(name):
            return df
        df = df.copy()
        masks: dict[str, pd.Series] = {}
        for d in self.derived[name]:
            if d.condition not in masks:
                try:
                    masks[d.condition] = df.eval(d.condition, engine="python").astype(bool)
                except Exception as e:  # a hand-edited condition naming a missing column
                    raise RulesError(
                        f"expectations.yml suite {name}: row_condition {d.condition!r}: {e}"
                    ) from e
            mask = masks[d.condition]
            df[d.name] = df[d.column].where(mask, "n/a" if d.not_null else None)
        return df

    def column(self, name: str, derived: str) -> str:
        """The data column behind an expectation's (possibly derived) column."""
        return next((d.column for d in self.derived.get(name, ()) if d.name == derived), derived)

    def run(self, name: str, df: pd.DataFrame, prepared: bool = False):
        """The suite's COMPLETE result on `df` (already `prepare`d when `prepared`)."""
        return self.definitions[name].run(
            batch_parameters={"dataframe": df if prepared else self.prepare(name, df)},
            result_format={"result_format": "COMPLETE"},
        )

    def submit(self, name: str, df: pd.DataFrame) -> Callable[[], list[Failure]]:
        """`failures` now, given when asked for (as `Remote.submit`, whose verdict may come later)."""
        found = self.failures(name, df)
        return lambda: found

    def failures(self, name: str, df: pd.DataFrame) -> list[Failure]:
        return self.verdict(name, df).failures

    def verdict(self, name: str, df: pd.DataFrame) -> Verdict:
        """The suite run once on `df` (one batch, one validation of every expectation, with the
        rows each one failed): its failures, and the results the run's Data Docs reuse for these
        rows (`pipeline.quality.verdicts`) instead of validating them again in the batch tables."""
        if df.empty:
            return Verdict([], 0, [], None)
        prepared = self.narrowed(name, self.prepare(name, df))
        return self.judged(name, prepared, self.validated(name, prepared))

    def validated(self, name: str, prepared: pd.DataFrame, suite: Any = None) -> list[Any]:
        """GX's results of `suite` (by default the suite `name`; anything with its `name` and
        `expectation_configurations`) on the `prepare`d frame, every failing row listed."""
        from great_expectations.validator.v1_validator import Validator

        from pipeline.quality.plans import same_run

        validator = Validator(  # what Batch.validate builds, without building the batch twice
            batch_definition=self.definitions[name].batch_definition,
            batch_parameters={"dataframe": prepared},
            result_format=dict(RESULT_FORMAT),
        )
        with same_run():
            run = validator.validate_expectation_suite(suite or self.definitions[name].suite)
        return list(run.results)

    def verdicts(self, name: str, frames: Sequence[pd.DataFrame]) -> list[Verdict]:
        """`verdict` of each frame, their row-by-row expectations validated in one GX run."""
        from pipeline.quality.grouped import verdicts

        return verdicts(self, name, frames)

    def narrowed(self, name: str, prepared: pd.DataFrame) -> pd.DataFrame:
        """The columns of a `prepare`d frame the suite reads (`read`), or all of them."""
        read = self.read.get(name)
        if read is None:
            return prepared
        return prepared[[c for c in read if c in prepared]]  # a missing one is GX's error to report

    def judged(self, name: str, prepared: pd.DataFrame, results: Sequence[Any]) -> Verdict:
        """The verdict of GX's `results` on the (`narrowed`) frame `prepared`."""
        results = sorted(results, key=lambda r: (r.expectation_config.meta or {}).get("index", 0))
        out = []
        for r in results:
            if r.success:
                continue
            meta = r.expectation_config.meta or {}
            checked = r.expectation_config.kwargs.get("column", "")
            column = self.column(name, checked)
            rows = [
                row.get("index", row) if isinstance(row, dict) else row
                for row in r.result.get("unexpected_index_list") or []
            ]
            values = r.result.get("unexpected_list") or []
            if len(values) != len(rows):  # GX lists at most 200 values, but every row's index
                values = _values(prepared, checked, rows)
            for row, value in zip(rows, values, strict=True):
                out.append(
                    Failure(
                        name, meta.get("check", "expectation"), meta.get("note", ""), column, int(row), value
                    )
                )
        columns = sorted({str(r.expectation_config.kwargs.get("column", "")) for r in results} - {""})
        kept = prepared[[c for c in columns if c in prepared]].reset_index(drop=True)
        return Verdict(out, len(prepared), results, kept)


def _read(configs: Sequence[Any]) -> list[str] | None:
    """The columns a suite's expectations read, when each one reads its one column only (an
    expect_column_* expectation with a `column`): GX copies every column of the frame each time
    it filters its rows (about a third of a validation), and the others do not change a result.
    None (read the whole frame) as soon as one expectation may read more (table, pair, multi-column)."""
    read: list[str] = []
    for c in configs:
        column = (c.kwargs or {}).get("column")
        if not c.type.startswith("expect_column_") or not isinstance(column, str):
            return None
        if column not in read:
            read.append(column)
    return read


def _values(df: pd.DataFrame, column: str, rows: list[Any]) -> list[Any]:
    """The values of `column` at `rows` (None where the frame has no such column or row)."""
    if column not in df:
        return [None] * len(rows)
    series = df[column]
    return [series.iloc[int(i)] if 0 <= int(i) < len(series) else None for i in rows]


@dataclass
class Verdict:
    """One validation of a suite on one frame: the rows failing an expectation (`failures`), the
    frame's length, GX's result per expectation in suite order, and the columns they read."""

    failures: list[Failure]
    rows: int
    results: list[Any]
    columns: pd.DataFrame | None
