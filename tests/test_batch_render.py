"""Per-document outputs are written by the workers: the parent of a local run only moves files
(`Parts.adopt`) and renders nothing, unless a document reaches it unrendered (a cache hit whose folder
is gone, the dask executor), or the run's crop budget is smaller than the worker was told.
Generated two-page PDFs; invented trial (KESTREL-4) and product (valbotamab)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.batch import Job, TaskConfig, run
from pipeline.outputs import DocRecord, Parts
from pipeline.outputs.parts import stage
from pipeline.outputs.sections import Sections
from pipeline.outputs.tables import doc_dir
from tests.test_review_data import make_pdf

CROPS = "report_files/crops"


def _record(
    doc_id: str, path: str, sha256: str, values: tuple[str, ...] = ("46", "82.8", "128")
) -> DocRecord:
    """Findings citing values printed on the pages of `make_pdf` ("46" on page 1, "82.8" and
    "128" on page 2), found on their page without a box."""
    pages = {"46": 1, "82.8": 2, "128": 2}
    ev = [{"label": f"v{v}", "value": v, "source": "text" if pages[v] == 1 else "table", "page": pages[v],
           "snippet": "", "bbox": "", "outcome_id": ""} for v in values]  # fmt: skip
    findings = [{"finding_id": f"f{i}", "doc_id": doc_id, "check": "text_table_mismatch", "severity": "error",
                 "study_id": "kestrel-4", "metric": "CR", "message": f"CR differs ({i})", "status": "open",
                 "evidence": [e]} for i, e in enumerate(ev)]  # fmt: skip
    study = {
        "doc_id": doc_id,
        "study_id": "kestrel-4",
        "trial": "KESTREL-4",
        "cohort": "",
        "product": "valbotamab",
    }
    outcomes = [{"doc_id": doc_id, "study_id": "kestrel-4", "metric": "CR", "value": v, "unit": "%",
                 "source": s, "page": p, "outcome_id": f"o{p}"} for v, s, p in ((46.0, "text", 1), (82.8, "table", 2))]  # fmt: skip
    row = {"doc_id": doc_id, "path": path, "sha256": sha256, "pages": 2, "status": "ok", "error": "",
           "error_detail": "", "timings": {}, "counts": {"studies": 1, "outcomes": 2, "findings": len(findings)}}  # fmt: skip
    return DocRecord(row, [study], outcomes, findings, [])


class CropTask:
    """A stand-in for the pipeline (run in the workers) whose findings cite values on its PDF."""

    def __init__(self, config: TaskConfig) -> None:
        pass

    def __call__(self, job: Job) -> DocRecord:
        return _record(job.doc_id, job.path, job.sha256)


def _inputs(folder: Path, *stems: str) -> Path:
    folder.mkdir(parents=True)
    for stem in stems:
        make_pdf(folder / f"{stem}.pdf")
    return folder


def _run(inp: Path, out: Path, jobs: int = 2):
    return run([str(inp)], out, task=CropTask, jobs=jobs, progress=False, data_docs=False, code="test")


def _refuse(*args: object, **kw: object) -> None:
    raise AssertionError("the parent rendered a document")


def test_the_parent_of_a_local_run_renders_nothing_and_the_outputs_are_whole(tmp_path, monkeypatch):
    inp = _inputs(tmp_path / "in", "kestrel-a", "kestrel-b")
    monkeypatch.setattr(Sections, "render", _refuse)  # the parent's render entry (workers are forked apart)
    rep = _run(inp, tmp_path / "out")
    out = tmp_path / "out"
    assert not rep.failed and [r.doc_id for r in rep.records] == ["kestrel-a", "kestrel-b"]
    crops = sorted(p.name for p in (out / CROPS).glob("*.jpg"))
    assert crops == [f"kestrel-{d}-f{i}-0.jpg" for d in "ab" for i in range(3)]
    assert all((out / CROPS / c).read_bytes()[:2] == b"\xff\xd8" for c in crops)  # JPEGs
    html = (out / "report.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    assert all(f'src="{CROPS}/{c}"' in html and f"]({CROPS}/{c})" in md for c in crops)
    assert "KESTREL-4" in html
    assert sorted(p.name for p in (out / "report_files").glob("*.svg")) == [
        "kestrel-a-kestrel-4--CR.svg", "kestrel-b-kestrel-4--CR.svg",
    ]  # fmt: skip
    for d in ("kestrel-a", "kestrel-b"):
        folder = doc_dir(out, d)
        assert sorted(p.name for p in folder.iterdir()) == [
            "finding_outcomes.csv", "findings.csv", "mentions.jsonl", "outcomes.csv", "report.json", "studies.csv",
        ]  # fmt: skip
        assert "kestrel-4" in (folder / "studies.csv").read_text(encoding="utf-8")
    assert (out / "findings.csv").read_text(encoding="utf-8").count("CR differs") == 6
    assert not list(out.glob(".parts-*"))  # the workers' staging went with the run


def test_a_document_the_parent_renders_gets_the_same_files_as_from_a_worker(tmp_path, monkeypatch):
    inp = _inputs(tmp_path / "in", "kestrel-a")
    out = tmp_path / "out"
    _run(inp, out, jobs=1)
    folder = doc_dir(out, "kestrel-a")
    by_worker = {p.relative_to(out): p.read_bytes() for p in [*(out / CROPS).iterdir(), *folder.iterdir()]}
    sections = [
        x for x in (out / "report.md").read_text(encoding="utf-8").splitlines() if "report_files/" in x
    ]
    # a cache hit whose folder is incomplete (and whose crops are gone) is written by the parent
    for p in [*(out / CROPS).iterdir(), folder / "report.json"]:
        p.unlink()
    rendered = []
    real = Sections.render
    monkeypatch.setattr(
        Sections,
        "render",
        lambda self, rec, drawn=None, **kw: rendered.append(rec.doc_id) or real(self, rec, drawn, **kw),
    )
    rep = _run(inp, out, jobs=1)
    assert rendered == ["kestrel-a"] and rep.records[0].row["cached"]
    by_parent = {p.relative_to(out): p.read_bytes() for p in [*(out / CROPS).iterdir(), *folder.iterdir()]}
    assert sorted(by_parent) == sorted(by_worker) and len([p for p in by_parent if p.suffix == ".jpg"]) == 3
    for rel, data in by_parent.items():
        if rel.name != "report.json":  # its row says cached
            assert data == by_worker[rel], rel
    assert [
        x for x in (out / "report.md").read_text(encoding="utf-8").splitlines() if "report_files/" in x
    ] == sections


@pytest.mark.parametrize("budget", [0, 2])
def test_a_staged_document_over_the_runs_crop_budget_shows_its_first_crops_in_report_order(
    tmp_path, monkeypatch, budget
):
    import hashlib

    pdf = tmp_path / "kestrel.pdf"
    make_pdf(pdf)
    rec = _record("kestrel", str(pdf), hashlib.sha256(pdf.read_bytes()).hexdigest())
    ref, got = Parts(tmp_path / "ref"), Parts(tmp_path / "got")
    ref.renderer.crops_left = got.renderer.crops_left = budget
    ref.put(0, rec)
    staged = stage(
        got.folder, rec, budget=3
    )  # the worker was told of a larger budget (another job took some)
    assert len(staged.files) == 1 + 3  # the plot and three crops
    monkeypatch.setattr("pipeline.outputs.sections.write_crops", _refuse)  # nothing is drawn again
    got.adopt(0, rec, staged, write=False)
    assert got.renderer.crops_left == ref.renderer.crops_left == 0
    names = sorted(p.name for p in (got.out / CROPS).glob("*.jpg")) if budget else []
    assert names == [f"kestrel-f{i}-0.jpg" for i in range(budget)]
    assert sorted(p.name for p in (ref.out / CROPS).glob("*.jpg")) == names
    for n in names:
        assert (got.out / CROPS / n).read_bytes() == (ref.out / CROPS / n).read_bytes()
    for suffix in ("md", "html"):
        assert got._path(0, "section", suffix).read_text() == ref._path(0, "section", suffix).read_text()
    assert got._path(0, "section", "md").read_text().count(f"]({CROPS}/") == budget
    assert not Path(staged.folder).exists()


def test_a_staged_folder_broken_before_the_parent_takes_it_is_written_by_the_parent(tmp_path):
    import hashlib

    from pipeline.batch.runner import _keep
    from pipeline.outputs.crops import MAX_CROPS

    pdf = tmp_path / "kestrel.pdf"
    make_pdf(pdf)
    rec = _record("kestrel", str(pdf), hashlib.sha256(pdf.read_bytes()).hexdigest())
    out = tmp_path / "out"
    with Parts(out) as parts:
        staged = stage(parts.folder, rec, budget=MAX_CROPS)
        (Path(staged.folder) / "doc.studies.csv").unlink()  # the crops are moved, then a part is missing
        _keep(out, parts, 0, rec, staged=staged)
        assert parts.renderer.crops_left == MAX_CROPS - 3  # counted once
        assert parts._path(0, "section", "md").read_text().count(f"]({CROPS}/") == 3
    assert sorted(p.name for p in (out / CROPS).glob("*.jpg")) == [f"kestrel-f{i}-0.jpg" for i in range(3)]
    assert (doc_dir(out, "kestrel") / "report.json").is_file()


def test_a_worker_that_cannot_write_a_documents_outputs_still_hands_over_its_record(tmp_path):
    from pipeline.batch.discover import make_jobs
    from pipeline.batch.local import LocalExecutor

    inp = _inputs(tmp_path / "in", "kestrel-a")
    blocked = tmp_path / "a-file"  # the staging folder is a file: every write there fails
    blocked.write_text("x")
    ex = LocalExecutor(CropTask, TaskConfig(), 1, 60.0, stage_to=blocked, budget=lambda job: 5)
    recs = list(ex.run(make_jobs([inp / "kestrel-a.pdf"], None)))
    assert [(r.doc_id, r.ok, len(r.findings)) for r in recs] == [("kestrel-a", True, 3)]
    assert ex.staged == {}  # nothing staged: the parent writes this document


def test_a_worker_writes_its_plots_and_crops_directly_and_the_parent_atomically(tmp_path, monkeypatch):
    """The worker's staging folder is its own until the parent moves it: a temp file and a rename per
    view would buy nothing there; the parent writes into the output folder a reader may look at."""
    import hashlib

    from pipeline.outputs import atomic

    pdf = tmp_path / "kestrel.pdf"
    make_pdf(pdf)
    rec = _record("kestrel", str(pdf), hashlib.sha256(pdf.read_bytes()).hexdigest())
    real, atomic_views = atomic.atomic_write, []

    def counted(path, data, durable=True):
        atomic_views.append(Path(path).name)
        return real(path, data, durable)

    monkeypatch.setattr(atomic, "atomic_write", _refuse)
    (tmp_path / "stage").mkdir()
    staged = stage(tmp_path / "stage", rec, budget=3)
    monkeypatch.setattr(atomic, "atomic_write", counted)
    parent = Sections(tmp_path / "out").render(rec)
    assert sorted(staged.files) == sorted(parent.files) and len(staged.files) == 1 + 3  # a plot, 3 crops
    assert sorted(atomic_views) == sorted(Path(f).name for f in parent.files)
    for rel in staged.files:
        assert (Path(staged.folder) / rel).read_bytes() == (tmp_path / "out" / rel).read_bytes(), rel


def test_past_the_crop_budget_a_documents_pdf_is_not_read(tmp_path, monkeypatch):
    import hashlib

    from pipeline.outputs import crops

    recs = []
    for stem in ("kestrel-a", "kestrel-b"):
        pdf = tmp_path / f"{stem}.pdf"
        make_pdf(pdf)
        recs.append(_record(stem, str(pdf), hashlib.sha256(pdf.read_bytes()).hexdigest()))
    read, real = [], crops._readable
    monkeypatch.setattr(crops, "_readable", lambda rec: read.append(rec.doc_id) or real(rec))
    made = crops.write_crops(tmp_path / "out", recs, limit=3)  # the first document's three crops
    assert read == ["kestrel-a"] and sorted(made) == ["f0", "f1", "f2"]
    read.clear()
    assert crops.write_crops(tmp_path / "out", recs, limit=0) == {} and read == []


def test_the_crop_budget_is_split_by_input_order():
    from pipeline.outputs.crops import share

    assert [share(i, 3, 400) for i in range(3)] == [134, 133, 133]
    assert share(0, 1, 400) == 400 and share(0, 0, 400) == 400
    # no share under SHARE_MIN (100): the first documents take the budget
    assert [share(i, 6, 400) for i in range(6)] == [100, 100, 100, 100, 0, 0]
    assert [share(i, 1000, 400) for i in (0, 3, 4, 999)] == [100, 100, 0, 0]
    assert [share(i, 7, 30) for i in range(3)] == [30, 0, 0]


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_document_shows_its_own_share_of_crops_whatever_finishes_first(tmp_path, monkeypatch, jobs):
    # Three documents citing three values each, a run budget of 4: 2, 1 and 1 crops in input order,
    # with one worker or two (before, the first documents to finish took the budget).
    monkeypatch.setattr("pipeline.outputs.crops.MAX_CROPS", 4)
    monkeypatch.setattr("pipeline.outputs.crops.SHARE_MIN", 1)
    inp = _inputs(tmp_path / "in", "kestrel-a", "kestrel-b", "kestrel-c")
    _run(inp, tmp_path / "out", jobs=jobs)
    crops = sorted(p.name for p in (tmp_path / "out" / CROPS).glob("*.jpg"))
    assert crops == ["kestrel-a-f0-0.jpg", "kestrel-a-f1-0.jpg", "kestrel-b-f0-0.jpg", "kestrel-c-f0-0.jpg"]


def test_documents_finishing_in_another_order_give_the_same_sections(tmp_path, monkeypatch):
    import hashlib

    monkeypatch.setattr("pipeline.outputs.crops.MAX_CROPS", 4)
    monkeypatch.setattr("pipeline.outputs.crops.SHARE_MIN", 1)
    recs = []
    for stem in ("kestrel-a", "kestrel-b"):
        pdf = tmp_path / f"{stem}.pdf"
        make_pdf(pdf)
        recs.append(_record(stem, str(pdf), hashlib.sha256(pdf.read_bytes()).hexdigest()))
    ahead, behind = Parts(tmp_path / "ahead", total=2), Parts(tmp_path / "behind", total=2)
    for key in (0, 1):
        ahead.put(key, recs[key])
    for key in (1, 0):
        behind.put(key, recs[key])
    for key in (0, 1):
        md = ahead._path(key, "section", "md").read_text()
        assert md == behind._path(key, "section", "md").read_text() and md.count(f"]({CROPS}/") == 2
    assert sorted(p.name for p in (tmp_path / "ahead" / CROPS).glob("*.jpg")) == sorted(
        p.name for p in (tmp_path / "behind" / CROPS).glob("*.jpg")
    )
