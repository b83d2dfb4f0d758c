"""Streaming batch tables: each finished document's tables go to disk as parts (CSV body, Parquet,
mentions JSON lines) in a staging folder of the output folder; `merge` writes the batch files from
the parts in document order, one part at a time (`outputs.merge`: the CSVs and mentions copied as
bytes, the Parquet files by a helper process when the run has a fork server), so the parent never
holds every document's rows, nor imports pandas or pyarrow for them. The batch files are replaced
atomically, so a run killed before the merge leaves the old ones."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.outputs import junit
from pipeline.outputs.crops import Crops, first_crops, share
from pipeline.outputs.documents import Documents
from pipeline.outputs.merge import Fork, Merging, part_path
from pipeline.outputs.record import DocRecord, Summary
from pipeline.outputs.sections import Section, Sections
from pipeline.outputs.tables import (
    TABLES,
    doc_dir,
    jsonl_lines,
    table_frame,
    write_body,
    write_doc,
    write_lines,
)

PREFIX = ".parts-"


def _dumps(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, default=str)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_parts(out: Path) -> int:
    """Remove staging folders that a killed run left (their process is gone); returns how many."""
    n = 0
    for p in Path(out).glob(f"{PREFIX}*"):
        pid = p.name[len(PREFIX) :].split("-")[0]
        if p.is_dir() and not (pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid))):
            shutil.rmtree(p, ignore_errors=True)
            n += 1
    return n


PART_FILES = (
    *((name, suffix) for name in TABLES for suffix in ("csv", "parquet")),
    ("mentions", "jsonl"),
    ("section", "md"),
    ("section", "html"),
)


def _read(path: Path) -> str:
    """A part's text as written: a "\\r" in a cell (e.g. a finding's message) stays, as in memory."""
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def write_section(folder: Path, stem: str, section: Section) -> None:
    (folder / f"{stem}.section.md").write_text(section.md, encoding="utf-8")
    (folder / f"{stem}.section.html").write_text(section.html, encoding="utf-8")


def write_part(folder: Path, stem: str, rec: DocRecord) -> dict[str, Path]:
    """A document's tables and mentions, its part of the batch files (`PART_FILES` but the section,
    named `stem`.name.suffix) in `folder`: one table at a time, each frame dropped before the next is
    built, the CSV rows and the mentions written as they are made (a long paper's record is never
    held twice, as frames and text). Returns the CSV bodies and the mentions file by name, for
    `write_doc` to copy."""
    import pyarrow.parquet as pq

    from pipeline.outputs.arrow import to_arrow  # pandas: where a record becomes frames, not in the merge

    files: dict[str, Path] = {}
    for name in TABLES:
        df = table_frame([rec], name)
        files[name] = folder / f"{stem}.{name}.csv"
        write_body(files[name], df)
        pq.write_table(to_arrow(name, df), folder / f"{stem}.{name}.parquet")
        del df
    files["mentions"] = folder / f"{stem}.mentions.jsonl"
    write_lines(files["mentions"], jsonl_lines(rec.mentions))
    return files


@dataclass(frozen=True)
class Staged:
    """What a worker wrote for one document in its own folder of the staging folder (`stage`)."""

    folder: str
    crops: Crops  # the crops it drew (within the budget it was given), in report order
    files: list[str]  # its plots and crops, relative to the report


def stage(root: str | Path, rec: DocRecord, budget: int) -> Staged:
    """In a worker: everything per-document a run writes for `rec` (`Parts.put`'s files, the plots
    and at most `budget` crops, the docs/<id>/ folder) in a new folder under `root`, for the parent
    to `adopt` by moving files. The section is written (and its text dropped) before the tables."""
    folder = Path(root) / f"w-{os.getpid()}-{secrets.token_hex(4)}"
    folder.mkdir()
    section = Sections(folder, crops_left=budget, fresh=True).render(rec)
    write_section(folder, "doc", section)
    staged = Staged(str(folder), section.crops, section.files)
    del section
    write_doc(folder, rec, write_part(folder, "doc", rec))
    return staged


def _move(src: Path, dst: Path, made: set[Path] | None = None) -> None:
    """`src` to `dst`, its folder made first unless `made` says it was (a few hundred crops of a
    document go to one folder: one mkdir, not one per file)."""
    if made is None or dst.parent not in made:
        dst.parent.mkdir(parents=True, exist_ok=True)
        if made is not None:
            made.add(dst.parent)
    os.replace(src, dst)


def move_doc(src: Path, out: Path, doc_id: str) -> None:
    """Move a docs/<id>/ folder written under `src` into `out`, file by file, report.json last: its
    presence still means the folder is complete."""
    staged, target = doc_dir(src, doc_id), doc_dir(out, doc_id)
    files = sorted(staged.iterdir(), key=lambda p: p.name == "report.json")
    for p in files:
        _move(p, target / p.name)


class Parts:
    """The staging folder of one run. `put(key, record)` stores a document's tables, report section,
    report row and junit cases, and returns its `Summary` (what the parent keeps); `merge(keys)`
    writes the batch files; `sections(keys)` and `documents(keys)` read the rest back for the reports."""

    def __init__(self, out: Path, total: int | None = None) -> None:
        """`total`: the run's number of documents, each then showing its own share of the crop
        budget (`crops.share`, by its key), not what the documents finished before it left."""
        self.out = Path(out)
        self.total = total
        self.out.mkdir(parents=True, exist_ok=True)
        sweep_parts(self.out)
        self.folder = self.out / f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        self.folder.mkdir()
        self.renderer = Sections(self.out)
        self.checks: set[str] = set()  # the check names of the documents' rows (a case each in junit.xml)
        self._merging: Merging | None = None
        self.fork: Fork | None = None  # how to start a helper for the Parquet files (`offload`)
        self._made: set[Path] = set()  # folders of the report's plots and crops made by `adopt`

    def _path(self, key: int, name: str, suffix: str) -> Path:
        return part_path(self.folder, key, name, suffix)

    def share(self, key: int) -> int:
        """The crops document `key` may show (and a worker may draw for it)."""
        return share(key, self.total) if self.total else self.renderer.crops_left

    def put(self, key: int, rec: DocRecord, doc: Path | None = None) -> Summary:
        """With `doc` (an output folder), the document's docs/<id>/ folder there too, copied from
        its part."""
        write_section(self.folder, f"{key:08d}", self.renderer.render(rec, limit=self.share(key)))
        files = write_part(self.folder, f"{key:08d}", rec)
        if doc is not None:
            write_doc(doc, rec, files)
        return self._kept(key, rec)

    def _kept(self, key: int, rec: DocRecord) -> Summary:
        """The document's report row and junit cases to disk; its `Summary` (all the parent keeps)."""
        self._path(key, "row", "json").write_text(_dumps(rec.report_row()), encoding="utf-8")
        self._path(key, "junit", "json").write_text(_dumps(junit.cases(rec)), encoding="utf-8")
        self.checks.update(rec.row.get("checks", []))
        if self._merging is not None:
            self._merging.ready(key)
        return rec.summary()

    def adopt(self, key: int, rec: DocRecord, staged: Staged, write: bool = True) -> Summary:
        """Take what a worker wrote for a document (`put`'s files, its plots and crops and, when
        `write`, its docs/<id>/ folder) by moving the files; the section is rendered again here only
        when the run's crop budget left fewer crops than the worker drew."""
        src = Path(staged.folder)
        drawn = [p for by_item in staged.crops.values() for p in by_item.values()]
        allowed = min(self.share(key), self.renderer.crops_left)
        fits = len(drawn) <= allowed
        keep = staged.crops if fits else first_crops(staged.crops, allowed)
        kept = {p for by_item in keep.values() for p in by_item.values()}
        before = self.renderer.crops_left, set(self.renderer.written)
        try:
            crops = set(drawn)
            for rel in staged.files:
                if rel in kept or rel not in crops:  # the crops within the budget and every plot
                    _move(src / rel, self.out / rel, self._made)
            if fits:
                self.renderer.took(drawn)
                self.renderer.kept(staged.files)
            else:
                write_section(src, "doc", self.renderer.render(rec, drawn=keep))
            for name, suffix in PART_FILES:
                os.replace(src / f"doc.{name}.{suffix}", self._path(key, name, suffix))
            if write:
                move_doc(src, self.out, rec.doc_id)
        except OSError:  # the caller writes the document itself: its budget is not spent twice
            self.renderer.crops_left, self.renderer.written = before
            raise
        shutil.rmtree(src, ignore_errors=True)
        return self._kept(key, rec)

    def documents(self, keys: list[int]) -> Documents:
        """The documents' report rows and junit cases in `keys` order, read one at a time."""

        def rows() -> Iterator[dict[str, Any]]:
            return (json.loads(self._path(k, "row", "json").read_text(encoding="utf-8")) for k in keys)

        def suites() -> Iterator[junit.Suite]:
            for key, row in zip(keys, rows(), strict=True):
                yield row, json.loads(self._path(key, "junit", "json").read_text(encoding="utf-8"))

        return Documents(rows, suites)

    def sections(self, keys: Iterable[int]) -> Iterator[Section]:
        """The documents' report sections in `keys` order, read one at a time."""
        for key in keys:
            md, html = (_read(self._path(key, "section", x)) for x in ("md", "html"))
            yield Section(md=md, html=html)

    def stream(self, keys: Iterable[int]) -> None:
        """Merge while the documents come: each one's parts are added to the batch files as soon as
        every document before it (in `keys` order) is there, so `merge(keys)` has only the last ones
        left to add and the files to close (same files as merging them all at the end)."""
        self._merging = Merging(self.out, self.folder, list(keys), self.fork)

    def offload(self, fork: Fork) -> None:
        """Have the Parquet files written by a helper process that `fork` starts (`merge.Merging`),
        unless the merge has written some already (a cached document merged here)."""
        self.fork = fork
        if self._merging is not None:
            self._merging.fork = fork

    def merge(self, keys: Iterable[int], csv_only: bool = False) -> None:
        """The batch files from the parts in `keys` order: the CSVs (what readers of the tables, such
        as the Data Docs, need first; once), then unless `csv_only` the Parquet files and mentions.
        One mechanism with `stream`: the parts not yet added are added now."""
        keys = list(keys)
        if self._merging is None or self._merging.order != keys:
            if self._merging is not None:
                self._merging.abort()
            self._merging = Merging(self.out, self.folder, keys, self.fork)
        for key in keys:  # every part is there by now (a no-op for those streamed already)
            self._merging.ready(key)
        self._merging.finish(csv_only)
        if not csv_only:
            self._merging = None
            self.renderer.sweep()

    def close(self) -> None:
        if self._merging is not None:  # not finished: no batch file is replaced by a partial one
            self._merging.abort()
            self._merging = None
        with contextlib.suppress(OSError):
            shutil.rmtree(self.folder)

    def __enter__(self) -> Parts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
