"""Atomic file writes: write a temp file beside the target, fsync, then `os.replace`.

A reader (or a run killed half-way) therefore sees either the old file or the new one, never a
half-written CSV. Temp files left by a killed run are swept by `sweep_temp` at the next run.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

TMP_MARK = ".tmp-"


def _temp_name(path: Path) -> Path:
    # Hidden and unique per writer, in the same folder so that os.replace stays on one filesystem.
    return path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


@contextlib.contextmanager
def atomic_target(path: str | Path, durable: bool = True) -> Iterator[Path]:
    """Yield a temp path to write to; on success it replaces `path`, on any error it is removed.
    `durable=False` skips the fsync (a file the next run makes again: a reader still never sees it
    half-written, but a power cut may lose it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(path)
    try:
        yield tmp
        if durable:
            with open(tmp, "rb+") as f:  # the writer may have used its own file handle; flush it to disk
                os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write(path: str | Path, data: str | bytes | Iterable[str], durable: bool = True) -> Path:
    """`data`: text, bytes, or text in pieces (written as they come: a report need not fit in memory)."""
    path = Path(path)
    with atomic_target(path, durable) as tmp:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        elif isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            with open(tmp, "w", encoding="utf-8") as f:
                f.writelines(data)
    return path


def write_view(path: Path, data: str | bytes, fresh: bool = False) -> None:
    """A view the next run makes again (a plot, a crop): atomic without waiting on the disk; or, when
    `fresh` (a new folder only its writer sees, moved into place whole when it is done), directly:
    the move is what a reader sees, and a temp file and a rename per file are then cost for nothing."""
    if not fresh:
        atomic_write(path, data, durable=False)
    elif isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)


def sweep_temp(folder: str | Path) -> int:
    """Remove temp files that an interrupted run left under `folder`; returns how many."""
    n = 0
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    for p in folder.rglob(f".*{TMP_MARK}*"):
        if p.is_file():
            with contextlib.suppress(OSError):
                p.unlink()
                n += 1
    return n
