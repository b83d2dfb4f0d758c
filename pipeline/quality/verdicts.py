"""A suite's result on the batch tables put together from each document's `Verdict` (the run's
validator keeps the one it made for the workers), so the Data Docs do not validate the batch again.
A row-by-row expectation (values between, in a set, matching a pattern, not null) fails on a row of
the batch exactly when it fails on that row of its document: its batch result is the documents'
results added up, rows shifted by the rows before them, in GX's own result format. The others
(values unique, anything over the whole column or table) are validated on the batch rows, once.
The documents' verdicts are used only when every one is there and was made from the same values as
the batch tables hold (else the caller validates the batch as before)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pipeline.quality.expectations import Suites, Verdict

ROW_BY_ROW = frozenset(
    {
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_regex_list",
        "expect_column_values_to_not_match_regex_list",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
    }
)


def _row_by_row(config: Any) -> bool:
    kwargs = config.kwargs or {}
    return config.type in ROW_BY_ROW and kwargs.get("mostly") in (None, 1, 1.0)


def _blocks(prepared: pd.DataFrame) -> list[tuple[str, int, int]] | None:
    """Each document's rows (doc_id, start, end) in batch order; None unless each is one block."""
    if "doc_id" not in prepared:
        return None
    docs = prepared["doc_id"].astype(str).tolist()
    out: list[tuple[str, int, int]] = []
    for i, d in enumerate(docs):
        if out and out[-1][0] == d:
            continue
        if out:
            out[-1] = (out[-1][0], out[-1][1], i)
        out.append((d, i, len(docs)))
    return out if len({d for d, _, _ in out}) == len(out) else None


def _equal(a: pd.Series, b: pd.Series) -> bool:
    """The same values in the same rows (a null is a null: the batch tables read from CSV hold
    pandas' NA where a document's frame holds NaN, and text as "string" where it holds "str")."""
    na = a.isna().to_numpy()
    if len(a) != len(b) or not (na == b.isna().to_numpy()).all():
        return False
    return a[~na].tolist() == b[~na].tolist()


def _same(verdicts: list[Verdict | None], blocks: list[tuple[str, int, int]], prepared: pd.DataFrame) -> bool:
    """Whether the documents' verdicts were made from the values the batch rows hold."""
    if any(
        v is None or v.columns is None or v.rows != b - a
        for v, (_, a, b) in zip(verdicts, blocks, strict=True)
    ):
        return False
    if any(r.exception_info.get("raised_exception") for v in verdicts if v for r in v.results):
        return False
    mine = pd.concat([v.columns for v in verdicts if v is not None], ignore_index=True)
    rows = prepared.reset_index(drop=True)
    return all(c in rows and _equal(rows[c], mine[c]) for c in mine.columns)


def _added(results: list[Any], offsets: list[int], column: pd.Series | None) -> Any:
    """One row-by-row expectation's batch result from the documents' (`offsets`: rows before each);
    the unexpected values are read from the batch rows' `column` (as GX would read them)."""
    from great_expectations.constants import MAX_RESULT_RECORDS
    from great_expectations.core import ExpectationValidationResult
    from great_expectations.expectations.expectation import _format_map_output
    from great_expectations.expectations.expectation_configuration import parse_result_format

    element = unexpected = 0
    nonnull: int | None = 0
    values: list[Any] = []
    index: list[int] = []
    for r, offset in zip(results, offsets, strict=True):
        res = r.result or {}
        element += int(res.get("element_count") or 0)
        unexpected += int(res.get("unexpected_count") or 0)
        if nonnull is not None and "missing_count" in res:
            nonnull += int(res.get("element_count") or 0) - int(res["missing_count"] or 0)
        else:
            nonnull = None
        values += list(res.get("unexpected_list") or [])
        index += [int(i) + offset for i in res.get("unexpected_index_list") or []]
    if column is not None:  # as GX lists them: the first MAX_RESULT_RECORDS in row order
        values = list(column.iloc[index[:MAX_RESULT_RECORDS]])
    values = values[:MAX_RESULT_RECORDS]
    success = all(bool(r.success) for r in results)
    formatted = _format_map_output(
        parse_result_format({"result_format": "COMPLETE"}),
        success,
        element,
        nonnull,
        unexpected,
        values,
        index,
        f"df.filter(items={index}, axis=0)",
    )
    return ExpectationValidationResult(
        success=success,
        expectation_config=results[0].expectation_config,
        result=formatted["result"],
        exception_info={"raised_exception": False, "exception_traceback": None, "exception_message": None},
    )


def _whole(suites: Suites, name: str, prepared: pd.DataFrame, configs: list[Any]) -> Any:
    """What `ValidationDefinition.run` gives for `configs` on `prepared` (batch markers, meta)."""
    from types import SimpleNamespace

    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.validator.v1_validator import Validator

    definition = suites.definitions[name]
    validator = Validator(
        batch_definition=definition.batch_definition,
        batch_parameters={"dataframe": prepared},
        result_format={"result_format": "COMPLETE"},
    )
    result = validator.validate_expectation_suite(
        SimpleNamespace(name=name, expectation_configurations=configs)  # type: ignore[arg-type]
    )
    run_id = RunIdentifier(run_time=datetime.datetime.now(datetime.UTC))
    result.meta.update(
        validation_id=definition.id,
        checkpoint_id=None,
        run_id=run_id,
        validation_time=run_id.run_time,
        batch_parameters={"dataframe": "<DATAFRAME>"},
    )
    return result


def _by_index(results: list[Any]) -> dict[Any, Any]:
    return {(r.expectation_config.meta or {}).get("index"): r for r in results}


def combined(suites: Suites, name: str, prepared: pd.DataFrame, verdicts: Mapping[str, Verdict]) -> Any:
    """The suite's result on the batch rows `prepared` (`Suites.prepare`'s frame), as
    `Suites.run` gives it, from the documents' `verdicts` (by doc_id); None when one is missing
    or was made from other values than the batch holds."""
    from great_expectations.validator.validation_statistics import calc_validation_statistics

    blocks = _blocks(prepared)
    if not blocks:
        return None
    mine = [verdicts.get(d) for d, _, _ in blocks]
    if not _same(mine, blocks, prepared):
        return None
    configs = list(suites.definitions[name].suite.expectation_configurations)
    whole = _whole(suites, name, prepared, [c for c in configs if not _row_by_row(c)])
    offsets = [a for _, a, _ in blocks]
    by_doc = [_by_index(v.results) for v in mine if v is not None]
    results = []
    for config in configs:
        i = (config.meta or {}).get("index")
        if _row_by_row(config):
            column = prepared.get(str((config.kwargs or {}).get("column", "")))
            results.append(_added([doc[i] for doc in by_doc], offsets, column))
        else:
            results.append(_by_index(whole.results)[i])
    stats = calc_validation_statistics(results)
    whole.results, whole.success = results, stats.success
    whole.statistics = {
        "evaluated_expectations": stats.evaluated_expectations,
        "successful_expectations": stats.successful_expectations,
        "unsuccessful_expectations": stats.unsuccessful_expectations,
        "success_percent": stats.success_percent,
    }
    return whole
