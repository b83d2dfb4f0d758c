"""The fork server builds the workers' Pipeline once (`pipeline.batch.preload`) when it is started
for a run's rules: a worker of a run with those rules takes it and reads a document exactly as one
that builds its own; a worker given another rules folder, or the same folder edited since, is not
served it and builds its own from what the folder holds now.

Each case runs in a fresh interpreter: the fork server is one per process, started for the first
run's rules, as in a library user's process that runs several batches."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from multiprocessing import current_process
from multiprocessing.connection import Connection, Listener
from pathlib import Path

from pipeline.batch import Job, PipelineTask, TaskConfig
from pipeline.outputs import DocRecord

from .pdfgen import PdfSpec, paragraph

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
BRAND = "Quorvexa"  # an invented brand, known only to the edited rules
PRODUCT = """
  - canonical: valbo-cel
    inn: valbocabtagene autoleucel
    brands: [Quorvexa]
    target: CD19
    kind: car-t
"""


class ProbeTask(PipelineTask):
    """The default task, saying in its record whether its pipeline is the fork server's."""

    def record(self, job: Job, result) -> DocRecord:
        rec = super().record(job, result)
        preload = sys.modules.get("pipeline.batch.preload")
        rec.row["prebuilt"] = preload is not None and self.pipeline is preload.PREBUILT
        return rec


class Verdicts:
    """A stand-in for the run's GX validator: every request answered at once with no failure, so
    that no process of the test imports GX."""

    def __init__(self) -> None:
        self.sock = Listener(family="AF_UNIX", authkey=bytes(current_process().authkey))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    @staticmethod
    def _answer(conn: Connection) -> None:
        with conn:
            while True:
                try:
                    conn.recv()
                except (EOFError, OSError):
                    return
                conn.send(("ok", []))


def _read(rec: DocRecord) -> dict:
    """What a document reads as, without the run's figures (times, memory)."""
    return {
        "prebuilt": rec.row.get("prebuilt"),
        "status": rec.row.get("status"),
        "error": rec.row.get("error_detail"),
        "products": sorted({m["canonical"] for m in rec.mentions if m.get("label") == "PRODUCT"}),
        "studies": rec.studies,
        "outcomes": rec.outcomes,
        "findings": rec.findings,
        "mentions": rec.mentions,
    }


def main(tmp: str) -> None:
    """The cases, in one process (its fork server started by the first run, for `first`)."""
    from pipeline.batch.discover import make_jobs
    from pipeline.batch.local import LocalExecutor

    tmp_path = Path(tmp)
    first, other = tmp_path / "first", tmp_path / "other"
    shutil.copytree(RULES, first)
    shutil.copytree(RULES, other)
    with (other / "products.yml").open("a", encoding="utf-8") as f:
        f.write(PRODUCT)
    paper = tmp_path / "paper.pdf"
    pdf = PdfSpec()
    paragraph(
        pdf,
        72,
        100,
        [
            f"In the phase 2 KESTREL-4 study, 173 patients received {BRAND}. The overall response",
            "rate was 61% and the complete response rate 37% at 12 months.",
        ],
    )
    pdf.save(paper)
    job = make_jobs([paper])[0]
    validator = Verdicts().sock.address

    def worker(rules: Path) -> dict:
        config = TaskConfig(rules_dir=str(rules), validator=validator)
        (rec,) = LocalExecutor(ProbeTask, config, 1, 120.0).run([job])
        return _read(rec)

    out = {"served": worker(first)}
    out["own"] = _read(ProbeTask(TaskConfig(rules_dir=str(first), validator=validator))(job))
    out["other"] = worker(other)
    with (first / "products.yml").open("a", encoding="utf-8") as f:
        f.write(PRODUCT)
    out["edited"] = worker(first)
    print(json.dumps(out))


def test_workers_are_served_the_servers_pipeline_only_for_its_rules(tmp_path):
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from tests.test_batch_prebuilt import main; main({str(tmp_path)!r})"
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    served, own = out["served"], out["own"]
    assert served["status"] == "ok" and served["studies"] and served["outcomes"]
    assert served["prebuilt"] is True and own["prebuilt"] is False
    assert {**served, "prebuilt": None} == {**own, "prebuilt": None}  # the same document, read alike
    assert served["products"] == []  # the shipped rules do not know the brand
    for case in ("other", "edited"):  # built by the worker from the folder as it is now
        assert out[case]["prebuilt"] is False
        assert out[case]["products"] == ["valbo-cel"], case
