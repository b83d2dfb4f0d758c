"""Which PDFs a run covers (files, folders, globs) and their doc_ids."""

from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass
from pathlib import Path


class UsageError(Exception):
    """Bad command-line input (exit code 2): no PDFs, a path that does not exist, a bad option."""


@dataclass(frozen=True)
class Job:
    """One document to process: what a worker receives (small and picklable)."""

    path: str  # absolute, so that a worker on another machine with the same shared mount finds it
    doc_id: str
    sha256: str
    password: str | None = None


def _is_pdf(p: Path) -> bool:
    return p.suffix.lower() == ".pdf" and p.is_file()


def find_pdfs(paths: list[str], exclude: Path | None = None) -> list[Path]:
    """Expand files, folders (recursively, hidden folders and `exclude` skipped) and globs, in order,
    without duplicates. A path that matches nothing is a usage error (most likely a typo)."""
    out: list[Path] = []
    seen: set[Path] = set()
    skip = exclude.resolve() if exclude else None

    def add(p: Path) -> None:
        r = p.resolve()
        if r not in seen:
            seen.add(r)
            out.append(r)

    for arg in paths:
        p = Path(arg)
        if p.is_file():
            add(p)  # named explicitly: taken whatever its suffix; a non-PDF fails with a reason
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if any(part.startswith(".") for part in rel[:-1]):
                    continue
                if skip and f.resolve().is_relative_to(skip):
                    continue
                if _is_pdf(f):
                    add(f)
        elif glob.has_magic(arg):
            for m in sorted(glob.glob(arg, recursive=True)):
                if _is_pdf(Path(m)):
                    add(Path(m))
        else:
            raise UsageError(f"no such file or folder: {arg}")
    if not out:
        raise UsageError(f"no PDFs found in {' '.join(paths)}")
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def make_jobs(pdfs: list[Path], password: str | None = None) -> list[Job]:
    """doc_id is the file stem; stems that clash get a content-hash suffix (`stem-1a2b3c4d`), which
    stays stable across runs as long as the content does. Identical copies get a counter too."""
    shas = [sha256_file(p) for p in pdfs]
    stems: dict[str, int] = {}
    for p in pdfs:
        stems[p.stem] = stems.get(p.stem, 0) + 1
    jobs: list[Job] = []
    used: set[str] = set()
    for p, sha in zip(pdfs, shas, strict=True):
        doc_id = p.stem if stems[p.stem] == 1 else f"{p.stem}-{sha[:8]}"
        base, i = doc_id, 2
        while doc_id in used:
            doc_id, i = f"{base}-{i}", i + 1
        used.add(doc_id)
        jobs.append(Job(str(p), doc_id, sha, password))
    return jobs
