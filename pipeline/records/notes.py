"""Table footnotes that define a subgroup for the values they mark.

A value printed with a note mark ("ORR 48%b", "mDoR 14.8 mob") whose note describes patients
("b Patients with relapse after prior therapy Y (n = 31).") is that subgroup's value, not the whole
study's: the note's sentence names the subgroup, and its own count and dose are the subgroup's rows.
Notes are the blocks printed right below a table piece that open on a mark; each note runs from its
mark to the end of its first sentence. A note that describes no patients (a dose schedule, abbreviations) marks
nothing here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.model import Box, Document, Table
from pipeline.ner.values import mass_doses
from pipeline.records.cells import Reading
from pipeline.records.cues import Cues

# a note mark: a lower-case letter or a symbol, at the start or after a sentence, before a capital
_MARK = re.compile(r"(?:^|(?<=[.;)]\s))([a-h]|[†‡§¶*])\s+(?=[A-Z(])")
_SENTENCE = re.compile(r"(?<=[.;])\s+(?=[A-Z])")
_COUNT = re.compile(r"\(?\s*\bn\s*=\s*(\d+)\s*\)?", re.I)
_LEAD = re.compile(
    r"^(?:in|among|for)\s+(?:the\s+)?|^(?:patients|participants|subjects)\s+(?:with|who)\s+", re.I
)
# after a value and its unit: the note mark glued to it ("48%b", "14.8 mob", "12.0 mo†")
_AFTER = re.compile(r"^(?:\s*(?:%|mos?|months?|wks?|weeks?|yrs?|years?|mg|days?|d))?([a-h†‡§¶*])(?![A-Za-z])")
NEAR = 40.0  # points: how far below a table piece its notes may start


@dataclass
class Note:
    label: str  # the subgroup the note describes
    n: int | None  # its count, when the note prints one
    sentence: str
    box: Box


def population_notes(doc: Document, table: Table, cues: Cues) -> dict[str, Note]:
    """Mark -> note, for the notes under the table's pieces that describe a group of patients."""
    out: dict[str, Note] = {}
    for piece in table.boxes:
        for b in doc.blocks:
            if b.kind not in ("footnote", "paragraph") or b.box.page != piece.page or not _MARK.match(b.text):
                continue
            if (
                not (piece.bottom - 2 <= b.box.top <= piece.bottom + NEAR)
                or b.box.x1 < piece.x0
                or b.box.x0 > piece.x1
            ):
                continue
            for mark, sentence in _notes(b.text):
                if (
                    mark not in out
                    and cues.table is not None
                    and cues.table.note_population_re.search(sentence)
                ):
                    out[mark] = Note(_label(sentence), _count(sentence), sentence, b.box)
    return out


def _notes(text: str) -> list[tuple[str, str]]:
    marks = list(_MARK.finditer(text))
    out = []
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        body = _SENTENCE.split(text[m.end() : end].strip(), maxsplit=1)[0]
        out.append((m.group(1), " ".join(body.split())))
    return out


def _count(sentence: str) -> int | None:
    m = _COUNT.search(sentence)
    return int(m.group(1)) if m else None


def _label(sentence: str) -> str:
    text = _COUNT.sub(" ", sentence)
    text = _LEAD.sub("", " ".join(text.split()).strip(" .;,"))
    return _LEAD.sub("", text).strip(" .;,")


def mark_after(text: str, end: int) -> str:
    """The note mark printed right after a value that ends at `end` (past its unit), else ""."""
    m = _AFTER.match(text[end:])
    return m.group(1) if m else ""


def count_mark(text: str, notes: dict[str, Note]) -> Note | None:
    """The population note marked on a row's count cell ("49b" with "b Primary efficacy analysis
    set."): the whole row's values are that group's."""
    m = re.match(r"\s*\d[\d,]*", text)
    return notes.get(mark_after(text, m.end())) if m and notes else None


def mark(readings: list[Reading], text: str, notes: dict[str, Note]) -> list[Reading]:
    """Readings of a cell whose value carries a population note's mark take its subgroup and n."""
    for r in readings:
        note = notes.get(mark_after(text, r.end)) if notes and r.end else None
        if note is not None:
            r.subgroup, r.n = r.subgroup or note.label, note.n
    return readings


def note_readings(note: Note) -> list[Reading]:
    """The subgroup's own rows a note prints: its count and the dose it names."""
    out = []
    if note.n is not None:
        out.append(Reading("N", float(note.n), "patients", subgroup=note.label, snippet=note.sentence))
    for value, unit, qual in mass_doses(note.sentence):
        bound = re.search(rf"(≥|>=|≤|<=)\s?{re.escape(f'{value:g}')}", note.sentence)
        q = qual or ({"≥": ">=", ">=": ">=", "≤": "<=", "<=": "<="}[bound.group(1)] if bound else "")
        out.append(Reading("DOSE", value, unit, q, subgroup=note.label, snippet=note.sentence))
    for r in out:
        r.n = note.n
    return out
