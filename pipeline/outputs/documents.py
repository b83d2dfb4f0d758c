"""A batch's documents as its reports read them: in input order, as often as a report needs, from
memory (`Documents.of`) or from files on disk (`outputs.parts`), so the parent of a batch keeps no
document's findings; and `RunRows`, the documents of a written report.json, read when first asked."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from pipeline.outputs import junit
from pipeline.outputs.record import DocRecord


@dataclass(frozen=True)
class Documents:
    """`rows()`: each document's report row (`DocRecord.report_row`), in order; `suites()`: the same
    rows with the document's junit cases. Iterating it gives the rows (report.json's `documents`)."""

    rows: Callable[[], Iterable[dict[str, Any]]]
    suites: Callable[[], Iterable[junit.Suite]]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows())

    @classmethod
    def of(cls, records: list[DocRecord]) -> Documents:
        return cls(
            lambda: (r.report_row() for r in records),
            lambda: ((r.report_row(), junit.cases(r)) for r in records),
        )


class RunRows(Sequence[dict[str, Any]]):
    """The `documents` rows of a run's report.json, loaded on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._rows: list[dict[str, Any]] | None = None

    def _load(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = json.loads(self.path.read_text(encoding="utf-8"))["documents"]
        return self._rows

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, i):
        return self._load()[i]

    def __len__(self) -> int:
        return len(self._load())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented
