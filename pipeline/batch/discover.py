"""Which PDFs a run covers (files, folders, globs) and their doc_ids.

Discovery never follows a symlink loop and never opens anything but a regular file: a folder it
cannot read or a symlinked folder it has already seen is reported as skipped; an entry named like a
PDF that is no regular file (a dangling symlink, a FIFO, a loop) or that cannot be read becomes a
job that carries its error, so that the run reports it as a failed row. File names are kept as the
OS gave them (undecodable bytes as surrogates) to open the file, and shown escaped (`shown`).
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path


class UsageError(Exception):
    """Bad command-line input (exit code 2): no PDFs, a path that does not exist, a bad option."""


FAIL_ON = ("error", "warning", "never")
EXECUTORS = ("local", "dask")


def check_options(jobs: int, executor: str, timeout: float, fail_on: str) -> None:
    """A run's options, checked before anything is read: UsageError names the bad one."""
    if jobs < 0:
        raise UsageError(f"--jobs must be 0 (all cores) or more, not {jobs}")
    if executor not in EXECUTORS:
        raise UsageError(f"--executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    if not timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout}")
    if fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")


def shown(text: str) -> str:
    """`text` safe to print and to write as UTF-8: bytes of a non-UTF-8 file name (held as
    surrogates) become `\\xNN`, so the name stays recognisable and distinct."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape") if _escaped_only(text) else None
        if raw is not None:
            return raw.decode("utf-8", "backslashreplace")
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _escaped_only(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


@dataclass(frozen=True)
class Job:
    """One document to process: what a worker receives (small and picklable)."""

    path: str  # absolute, so that a worker on another machine with the same shared mount finds it
    doc_id: str
    sha256: str
    password: str | None = None
    error: str = ""  # set when the file could not be read: the job is a failed row, never sent
    detail: str = ""

    @property
    def shown(self) -> str:
        return shown(self.path)


@dataclass
class Found:
    """What discovery found: candidate files (in order) and what it skipped, with reasons."""

    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (shown path, reason)


def _is_pdf_name(name: str) -> bool:
    return name.lower().endswith(".pdf")


def _reason(e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return "symlink loop"
    return e.strerror or type(e).__name__


class _Walk:
    def __init__(self, found: Found, skip: Path | None) -> None:
        self.found, self.skip = found, skip
        self.seen: set[Path] = set()
        self.dirs: set[tuple[int, int]] = set()

    def add(self, p: Path) -> None:
        key = Path(os.path.abspath(p))  # unresolvable (dangling, loop): kept as named, fails when read
        with contextlib.suppress(OSError, RuntimeError):
            key = p.resolve(strict=True)
        if key not in self.seen:
            self.seen.add(key)
            self.found.files.append(key)

    def folder(self, top: Path) -> None:
        """Depth-first in name order; symlinked folders are followed once (a loop is skipped)."""
        try:
            st = top.stat()
        except OSError as e:
            self.found.skipped.append((shown(str(top)), _reason(e)))
            return
        ident = (st.st_dev, st.st_ino)
        if ident in self.dirs:
            self.found.skipped.append((shown(str(top)), "folder already searched (symlink loop)"))
            return
        self.dirs.add(ident)
        try:
            with os.scandir(top) as it:
                entries = sorted(it, key=lambda e: os.fsencode(e.name))
        except OSError as e:
            self.found.skipped.append((shown(str(top)), f"folder not readable: {_reason(e)}"))
            return
        for entry in entries:
            path = top / entry.name
            if self.skip and Path(os.path.realpath(path)).is_relative_to(self.skip):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not entry.name.startswith("."):
                    self.folder(path)
            elif _is_pdf_name(entry.name):
                self.add(path)  # whatever it is: a FIFO or a dangling link fails as a row
            elif entry.is_symlink() and not os.path.exists(path):
                self.found.skipped.append((shown(str(path)), _dangling(path)))


def _dangling(path: Path) -> str:
    try:
        path.stat()
    except OSError as e:
        return "symlink loop" if e.errno == errno.ELOOP else "dangling symlink"
    return "not a file"


def find_pdfs(paths: list[str], exclude: Path | None = None) -> list[Path]:
    """The files of `discover` (what it skipped left out)."""
    return discover(paths, exclude).files


def discover(paths: list[str], exclude: Path | None = None) -> Found:
    """Expand files, folders (recursively, hidden folders and `exclude` skipped) and globs, in order,
    without duplicates. A path that matches nothing is a usage error (most likely a typo)."""
    found = Found()
    skip = Path(os.path.realpath(exclude)) if exclude else None
    walk = _Walk(found, skip)
    for arg in paths:
        if not arg.strip():
            raise UsageError("an empty path was given (quote a folder name, or leave it out for input/)")
        p = Path(arg)
        if p.is_dir():
            walk.folder(p)
        elif os.path.lexists(p):
            walk.add(p)  # named explicitly: taken whatever it is; a non-PDF fails with a reason
        elif glob.has_magic(arg):
            for m in sorted(glob.glob(arg, recursive=True)):
                if _is_pdf_name(m) and not Path(m).is_dir():
                    walk.add(Path(m))
        else:
            raise UsageError(f"no such file or folder: {shown(arg)}")
    if not found.files:
        detail = "; ".join(f"{p}: {why}" for p, why in found.skipped[:5])
        raise UsageError(
            f"no PDFs found in {shown(' '.join(paths))}" + (f" (skipped {detail})" if detail else "")
        )
    return found


def sha256_file(path: Path) -> str:
    """Hash of a regular file's content. Opens without blocking (a FIFO never hangs the run) and
    raises OSError for anything that is not a readable regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with open(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (FIFO, device or socket)")
        h = hashlib.sha256()
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
        return h.hexdigest()


def _read_error(path: Path, e: OSError) -> tuple[str, str]:
    if e.errno == errno.ENOENT and os.path.islink(path):
        return "unreadable", "dangling symlink"
    return "unreadable", _reason(e)


def make_jobs(pdfs: list[Path], password: str | None = None) -> list[Job]:
    """doc_id is the file stem (shown escaped); stems that clash get a content-hash suffix
    (`stem-1a2b3c4d`), stable across runs as long as the content does. Identical copies get a
    counter too. A file that cannot be read gives a job carrying its error (no hash)."""
    shas: list[str] = []
    errors: list[tuple[str, str]] = []
    for p in pdfs:
        try:
            shas.append(sha256_file(p))
            errors.append(("", ""))
        except OSError as e:
            shas.append("")
            errors.append(_read_error(p, e))
    stems: dict[str, int] = {}
    for p in pdfs:
        stems[shown(p.stem)] = stems.get(shown(p.stem), 0) + 1
    jobs: list[Job] = []
    used: set[str] = set()
    for p, sha, (err, detail) in zip(pdfs, shas, errors, strict=True):
        stem = shown(p.stem)
        doc_id = stem if stems[stem] == 1 or not sha else f"{stem}-{sha[:8]}"
        base, i = doc_id, 2
        while doc_id in used:
            doc_id, i = f"{base}-{i}", i + 1
        used.add(doc_id)
        jobs.append(Job(str(p), doc_id, sha, password, err, detail))
    return jobs
