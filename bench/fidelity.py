"""`make fidelity`: ingest's body text against the hand-made reading-order references of
`../shared/fidelity` (see its README), per paper:

- sentence recall: a reference sentence is found when its lower-case letter-only word sequence
  occurs in `Document.text`; order = 1 - inversions / (found - 1), an inversion being a found
  sentence that starts before the found sentence preceding it in the reference;
- furniture leaked: a reference line (lower-case letter and digit words) that occurs in the body
  (`line:` entries: that is a whole line of the body);
- hyphen cases right / wrong: right when the joined form appears in the body and the wrong form
  does not; wrong when the split form is kept ("re- sponse", "re-sponse") or a compound's hyphen
  dropped ("followup"); neither: the case's text was lost, counted as wrong too.

`python -m bench.fidelity [--json]` prints the table (or the JSON the ratchet test compares with
tests/floors/fidelity.json).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REFS = SHARED / "fidelity"
PDF_DIRS = (SHARED / "real-pdfs", SHARED / "corpus")

_LETTERS = re.compile(r"[^\W\d_]+")
_ALNUM = re.compile(r"[^\W_]+")


def _letters(s: str) -> str:
    return " " + " ".join(_LETTERS.findall(s.lower())) + " "


def _alnum(s: str) -> str:
    return " " + " ".join(_ALNUM.findall(s.lower())) + " "


@dataclass
class Score:
    paper: str
    sentences: int = 0
    found: int = 0
    inversions: int = 0
    furniture: int = 0
    leaked: int = 0
    hyphens: int = 0
    hyphens_right: int = 0
    hyphens_wrong: int = 0
    missing: list[str] | None = None
    leaks: list[str] | None = None
    wrong: list[str] | None = None

    @property
    def recall(self) -> float:
        return self.found / self.sentences if self.sentences else 1.0

    @property
    def order(self) -> float:
        return 1.0 - self.inversions / (self.found - 1) if self.found > 1 else 1.0

    def figures(self) -> dict[str, float | int]:
        return {
            "recall": round(self.recall, 3),
            "order": round(self.order, 3),
            "leaked": self.leaked,
            "hyphens_wrong": self.hyphens_wrong,
            "hyphens_right": self.hyphens_right,
        }


def score_sentences(body: str, sentences: list[str], out: Score) -> None:
    norm = _letters(body)
    positions: list[int] = []
    out.missing = []
    for s in sentences:
        i = norm.find(_letters(s))
        if i < 0:
            out.missing.append(s)
        else:
            positions.append(i)
    out.sentences, out.found = len(sentences), len(positions)
    out.inversions = sum(b < a for a, b in zip(positions, positions[1:], strict=False))


def score_furniture(body: str, items: list[str], out: Score) -> None:
    norm = _alnum(body)
    lines = {_alnum(ln) for ln in body.splitlines()}
    out.furniture, out.leaks = len(items), []
    for item in items:
        whole = item.startswith("line:")
        want = _alnum(item.removeprefix("line:"))
        if want.strip() and (want in lines if whole else want in norm):
            out.leaks.append(item)
    out.leaked = len(out.leaks)


def hyphen_verdict(body: str, split: str, joined: str) -> str:
    """ "right", "wrong" or "lost" for one line-end case `split` ("re-/sponse") and its `joined` form."""
    left, _, right = split.partition("-/")
    compound = joined.lower() == f"{left}-{right}".lower()
    low = body.lower()

    def has(form: str) -> bool:
        return re.search(rf"(?<![^\W_]){re.escape(form.lower())}(?![^\W_])", low) is not None

    wrong_forms = [left + right] if compound else [f"{left}- {right}", f"{left}-{right}", f"{left} {right}"]
    if any(has(f) for f in wrong_forms):
        return "wrong"
    return "right" if has(joined) else "lost"


def score_hyphens(body: str, cases: list[tuple[str, str]], out: Score) -> None:
    out.hyphens, out.wrong = len(cases), []
    for split, joined in cases:
        v = hyphen_verdict(body, split, joined)
        if v == "right":
            out.hyphens_right += 1
        else:
            out.hyphens_wrong += 1  # a lost case is not right either
            out.wrong.append(f"{v}: {split} -> {joined}")


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def papers() -> list[str]:
    kinds = (".sentences.txt", ".furniture.txt", ".hyphens.tsv")
    return sorted({p.name.removesuffix(k) for p in REFS.iterdir() for k in kinds if p.name.endswith(k)})


def pdf_of(paper: str) -> Path | None:
    for d in PDF_DIRS:
        if (d / f"{paper}.pdf").is_file():
            return d / f"{paper}.pdf"
    return None


def score(paper: str, body: str) -> Score:
    out = Score(paper)
    score_sentences(body, _lines(REFS / f"{paper}.sentences.txt"), out)
    score_furniture(body, _lines(REFS / f"{paper}.furniture.txt"), out)
    cases = [tuple(ln.split("\t")[:2]) for ln in _lines(REFS / f"{paper}.hyphens.tsv") if "\t" in ln]
    score_hyphens(body, cases, out)
    return out


def run() -> list[Score]:
    from pipeline import ingest
    from pipeline.rules import load, name_words

    names = name_words(load())  # as the pipeline reads a paper
    out = []
    for paper in papers():
        pdf = pdf_of(paper)
        if pdf is not None:
            out.append(score(paper, ingest.read(pdf, names=names).text))
    return out


def main() -> None:
    scores = run()
    if "--json" in sys.argv:
        print(json.dumps({s.paper: s.figures() for s in scores}, indent=1))
        return
    verbose = "-v" in sys.argv
    print(
        f"{'paper':28} {'sent':>5} {'recall':>6} {'order':>6} {'furn':>5} {'leak':>5} {'hyph':>5} {'ok':>4} {'bad':>4}"
    )
    for s in scores:
        print(
            f"{s.paper[:28]:28} {s.sentences:5d} {s.recall:6.3f} {s.order:6.3f} {s.furniture:5d} {s.leaked:5d}"
            f" {s.hyphens:5d} {s.hyphens_right:4d} {s.hyphens_wrong:4d}"
        )
        if verbose:
            for k, v in asdict(s).items():
                if isinstance(v, list) and v:
                    print(f"   {k}:", *v, sep="\n     ")
    n = sum(s.sentences for s in scores) or 1
    print(
        f"{'all':28} {n:5d} {sum(s.found for s in scores) / n:6.3f} {'':6} "
        f"{sum(s.furniture for s in scores):5d} {sum(s.leaked for s in scores):5d} "
        f"{sum(s.hyphens for s in scores):5d} {sum(s.hyphens_right for s in scores):4d} "
        f"{sum(s.hyphens_wrong for s in scores):4d}"
    )


if __name__ == "__main__":
    main()
