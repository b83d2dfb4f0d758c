"""Opening a PDF, and turning every way it can fail into one specific `IngestError`.

The checks that need no parser (empty file, not a PDF) run first so that the message names the real
cause; parser failures are then told apart by what the file looks like (a truncated file has lost
its `%%EOF` trailer) and by pdfminer's own exception types (password).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pdfplumber

# pdfminer reports harmless content-stream oddities ("Cannot set non-stroke color ...") as log
# warnings, which Python prints to stderr when the application configured no logging: they would
# spill into the CLI output. Keep its records below ERROR out and give it a handler that drops them.
_PDFMINER_LOG = logging.getLogger("pdfminer")
_PDFMINER_LOG.setLevel(logging.ERROR)
if not _PDFMINER_LOG.handlers:
    _PDFMINER_LOG.addHandler(logging.NullHandler())

# A PDF header may follow a few bytes of junk (the spec allows it within the first 1024 bytes).
_HEADER_WINDOW = 1024
_TRAILER_WINDOW = 2048


class IngestError(Exception):
    """A PDF that cannot be read; `code` is a short reason for the report.

    Codes: missing, empty, not_pdf, encrypted, truncated, corrupt, no_text.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self):  # keep (code, message) through pickling (batch workers are processes)
        return (type(self), (self.code, str(self)))


def check_bytes(path: Path) -> bytes:
    """Read the file and reject what is plainly not a PDF; returns the bytes for hashing."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IngestError("missing", f"{path}: no such file") from None
    except IsADirectoryError:
        raise IngestError("not_pdf", f"{path}: is a folder, not a PDF file") from None
    except OSError as e:
        raise IngestError("unreadable", f"{path}: cannot read the file ({e.strerror or e})") from None
    if not data.strip():
        raise IngestError("empty", f"{path.name}: the file is empty ({len(data)} bytes)")
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise IngestError("not_pdf", f"{path.name}: not a PDF (no %PDF- header in the first bytes)")
    return data


def is_truncated(data: bytes) -> bool:
    return b"%%EOF" not in data[-_TRAILER_WINDOW:]


def open_pdf(path: Path, data: bytes, password: str | None) -> pdfplumber.PDF:
    """pdfplumber.open with failures mapped to IngestError codes."""
    try:
        pdf = pdfplumber.open(path, password=password or "")
        _ = pdf.pages  # forces the page tree, where broken files usually fail
    except Exception as e:  # noqa: BLE001 - pdfminer raises many unrelated types on bad input
        raise classify(path, data, e, password) from None
    return pdf


def classify(path: Path, data: bytes, exc: BaseException, password: str | None) -> IngestError:
    """The IngestError for a parser exception `exc` raised while reading `path`."""
    names = {type(exc).__name__, *(type(a).__name__ for a in getattr(exc, "args", ()))}
    if any("Password" in n or "Encrypt" in n for n in names) or "password" in str(exc).lower():
        if password:
            return IngestError("encrypted", f"{path.name}: encrypted PDF and the password given is wrong")
        return IngestError("encrypted", f"{path.name}: encrypted PDF; give its password with --password")
    if is_truncated(data):
        return IngestError(
            "truncated", f"{path.name}: truncated PDF (no %%EOF trailer, {len(data)} bytes); re-download it"
        )
    detail = str(exc) or type(exc).__name__
    return IngestError("corrupt", f"{path.name}: damaged PDF structure ({detail[:200]})")
