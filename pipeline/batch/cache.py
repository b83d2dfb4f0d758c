"""Content-hash cache of per-document records under <out>/.cache/ (or --cache-dir).

An entry is keyed by the PDF's content hash, its doc_id and password, and is valid only for the
rules digest, code version and task it was made with: a change to rules/ or to the pipeline's code
makes every entry a miss (and the next result overwrites it). Transient failures (timeout, worker
crash) are not cached, so the next run tries those documents again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline.batch.discover import Job
from pipeline.outputs import DocRecord, atomic_write

TRANSIENT = {"timeout", "crashed", "out_of_memory", "missing", "internal", "worker_init", "unreadable"}


class Cache:
    def __init__(self, folder: Path, rules_digest: str, code: str, task: str) -> None:
        self.folder = folder
        self.stamp = {"rules": rules_digest, "code": code, "task": task}

    def _file(self, job: Job) -> Path:
        pw = hashlib.sha256((job.password or "").encode("utf-8", "surrogateescape")).hexdigest()
        raw = f"{job.sha256}\0{job.doc_id}\0{pw}".encode("utf-8", "surrogateescape")
        key = hashlib.sha256(raw).hexdigest()[:32]
        return self.folder / key[:2] / f"{key}.json"

    def get(self, job: Job) -> DocRecord | None:
        if job.error or not job.sha256:
            return None  # unreadable: nothing to look up
        path = self._file(job)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("stamp") != self.stamp:
                return None
            record = data["record"]  # an object; a JSON string in entries of older versions
            rec = DocRecord.from_json(record) if isinstance(record, str) else DocRecord.from_dict(record)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, stale or unreadable: process the document again
        rec.row["path"] = job.shown  # same content may have moved
        rec.row["cached"] = True
        return rec

    def put(self, job: Job, rec: DocRecord) -> bool:
        if (not rec.ok and rec.row.get("error") in TRANSIENT) or not job.sha256:
            return False
        # the record as an object of the entry (not a JSON string inside it): a hit parses it once
        entry = {"stamp": self.stamp, "record": rec.as_dict()}
        atomic_write(self._file(job), json.dumps(entry, ensure_ascii=False, default=str))
        return True
