"""The batch cache and discovery from their contracts: an entry is found again only for the same
content, doc_id and password, under the same rules digest, code version and task; anything else is a
miss, so a rerun never returns another document's (or another configuration's) results."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.batch.cache import Cache
from pipeline.batch.discover import Job, UsageError, discover, make_jobs, sha256_file
from pipeline.batch.task import code_version, task_tag
from pipeline.outputs import DocRecord, failed

STAMP = ("rules-aaa", "code-111", "tests.task")


def record(doc_id: str, marker: str) -> DocRecord:
    rec = failed(doc_id, f"/in/{doc_id}.pdf", "", "", "")  # no error: an ok row
    rec.outcomes = [{"doc_id": doc_id, "metric": "ORR", "value": 41.0, "snippet": marker}]
    return rec


def job(sha="a" * 64, doc_id="quillon-3", password=None, path="/in/quillon-3.pdf") -> Job:
    return Job(path, doc_id, sha, password)


@pytest.fixture
def cache(tmp_path) -> Cache:
    return Cache(tmp_path / "cache", *STAMP)


def test_same_job_is_a_hit_with_its_own_record(cache):
    assert cache.get(job()) is None
    assert cache.put(job(), record("quillon-3", "first"))
    got = cache.get(job())
    assert got is not None and got.row["cached"] is True
    assert [o["snippet"] for o in got.outcomes] == ["first"]


def test_a_record_holding_a_value_json_does_not_know_is_cached_as_its_text(cache):
    """A record is cached as report.json writes it: a value JSON has no type for (a path) as its text."""
    rec = record("quillon-3", "first")
    rec.row["source"] = Path("/in/quillon-3.pdf")
    assert cache.put(job(), rec)
    assert cache.get(job()).row["source"] == "/in/quillon-3.pdf"


@pytest.mark.parametrize(
    "other",
    [
        job(sha="b" * 64),  # the file's content changed (a stale path)
        job(doc_id="quillon-3-2"),  # another doc_id for the same content
        job(password="s3cret"),  # another password
    ],
    ids=["content-hash", "doc-id", "password"],
)
def test_each_key_component_changes_the_entry(cache, other):
    cache.put(job(), record("quillon-3", "first"))
    assert cache.get(other) is None
    cache.put(other, record(other.doc_id, "second"))
    assert [o["snippet"] for o in cache.get(other).outcomes] == ["second"]
    assert [o["snippet"] for o in cache.get(job()).outcomes] == ["first"]


def test_passwords_differ_from_no_password_and_from_each_other(cache):
    cache.put(job(password="one"), record("quillon-3", "one"))
    assert cache.get(job()) is None
    assert cache.get(job(password="two")) is None
    assert cache.get(job(password="one")).outcomes[0]["snippet"] == "one"


def test_two_documents_of_one_run_never_share_an_entry(cache):
    a, b = job(sha="c" * 64, doc_id="heron-1"), job(sha="d" * 64, doc_id="heron-2")
    cache.put(a, record("heron-1", "A"))
    cache.put(b, record("heron-2", "B"))
    assert cache.get(a).outcomes[0]["snippet"] == "A"
    assert cache.get(b).outcomes[0]["snippet"] == "B"


@pytest.mark.parametrize("changed", [0, 1, 2], ids=["rules-digest", "code-version", "task"])
def test_each_stamp_component_invalidates(tmp_path, changed):
    stamp = list(STAMP)
    Cache(tmp_path, *stamp).put(job(), record("quillon-3", "old"))
    stamp[changed] += "-changed"
    fresh = Cache(tmp_path, *stamp)
    assert fresh.get(job()) is None
    fresh.put(job(), record("quillon-3", "new"))  # the next result overwrites it
    assert fresh.get(job()).outcomes[0]["snippet"] == "new"
    assert Cache(tmp_path, *STAMP).get(job()) is None


def test_moved_file_is_a_hit_shown_at_its_new_path(cache):
    cache.put(job(path="/in/old/quillon-3.pdf"), record("quillon-3", "first"))
    got = cache.get(job(path="/in/new/quillon-3.pdf"))
    assert got.row["path"] == "/in/new/quillon-3.pdf"
    assert got.outcomes[0]["snippet"] == "first"


def test_transient_failures_and_unreadable_jobs_are_not_cached(cache):
    for error in ("timeout", "crashed", "out_of_memory", "internal"):
        assert not cache.put(job(), failed("quillon-3", "/in/q.pdf", "a" * 64, error, "x"))
        assert cache.get(job()) is None
    assert cache.put(job(), failed("quillon-3", "/in/q.pdf", "a" * 64, "encrypted", "needs a password"))
    assert cache.get(job()).row["error"] == "encrypted"
    unreadable = Job("/in/q.pdf", "quillon-3", "", None, "unreadable", "dangling symlink")
    assert not cache.put(unreadable, record("quillon-3", "x"))
    assert cache.get(unreadable) is None


def test_undecodable_names_and_passwords_are_keys_too(cache):
    odd = job(doc_id="report-\udcff", password="p\udce9", path="/in/report-\udcff.pdf")
    assert cache.put(odd, record("report-x", "odd"))
    assert cache.get(odd).outcomes[0]["snippet"] == "odd"
    assert cache.get(job(doc_id="report-\udcfe", password="p\udce9")) is None


def test_corrupt_entry_is_a_miss(cache, tmp_path):
    cache.put(job(), record("quillon-3", "first"))
    (entry,) = (tmp_path / "cache").rglob("*.json")
    entry.write_text("{not json", encoding="utf-8")
    assert cache.get(job()) is None


texts = st.text(alphabet="ab1", min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(a=st.tuples(texts, texts, st.none() | texts), b=st.tuples(texts, texts, st.none() | texts))
def test_hit_exactly_when_content_doc_id_and_password_agree(tmp_path_factory, a, b):
    cache = Cache(tmp_path_factory.mktemp("c"), *STAMP)
    ja = Job("/in/x.pdf", a[1], a[0] * 8, a[2])
    jb = Job("/in/y.pdf", b[1], b[0] * 8, b[2])
    cache.put(ja, record(a[1], "A"))
    hit = cache.get(jb)
    if (a[0], a[1], a[2] or "") == (b[0], b[1], b[2] or ""):
        assert hit is not None and hit.outcomes[0]["snippet"] == "A"
    else:
        assert hit is None


# --- task tag and code version: the other halves of the key ---------------------------------------
def factory_a(config):
    return config


def factory_b(config):
    return config


def test_task_tag_tells_tasks_and_their_options_apart():
    assert task_tag(factory_a) != task_tag(factory_b)
    assert task_tag(factory_a) == f"{__name__}.factory_a"  # module and name: the same in every run
    p1 = functools.partial(factory_a, mode="fast")
    assert task_tag(p1) != task_tag(functools.partial(factory_a, mode="slow"))
    assert task_tag(p1) != task_tag(functools.partial(factory_a, "fast"))
    assert task_tag(p1) != task_tag(factory_a)
    assert task_tag(p1) == task_tag(functools.partial(factory_a, mode="fast"))  # a new, equal partial
    assert task_tag(p1) != task_tag(functools.partial(factory_b, mode="fast"))
    assert task_tag(functools.partial(factory_a, "x")) != task_tag(functools.partial(factory_a, "y"))
    assert task_tag(p1).startswith(f"{__name__}.factory_a") and "0x" not in task_tag(p1)  # no address


def _package(root: Path) -> None:
    files = {
        "ner/values.py": "A = 1\n",
        "outputs/report.py": "R = 1\n",
        "outputs/record.py": "C = 1\n",
        "batch/task.py": "T = 1\n",
        "batch/runner.py": "U = 1\n",
        "cli.py": "X = 1\n",
        "review/app.py": "V = 1\n",
        "records/cues.yml": "k: 1\n",
        "records/more.yaml": "k: 1\n",
        "ner/names.json": "{}\n",
        "ner/seeds.jsonl": "{}\n",
        "ner/__pycache__/values.cpython-311.py": "cached\n",
        "notes.txt": "n\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


@pytest.mark.parametrize(
    ("rel", "counts"),
    [
        ("ner/values.py", True),
        ("records/cues.yml", True),
        ("records/more.yaml", True),
        ("ner/names.json", True),
        ("ner/seeds.jsonl", True),
        ("ner/__pycache__/values.cpython-311.py", False),
        ("batch/task.py", True),
        ("outputs/record.py", True),
        ("outputs/report.py", False),
        ("batch/runner.py", False),
        ("cli.py", False),
        ("review/app.py", False),
        ("notes.txt", False),
    ],
)
def test_code_version_follows_result_shaping_sources_only(tmp_path, rel, counts):
    _package(tmp_path)
    before = code_version(tmp_path)
    assert len(before) == 16
    with open(tmp_path / rel, "a") as fh:
        fh.write("# edited\n")
    assert (code_version(tmp_path) != before) is counts


def test_code_version_sees_a_renamed_module(tmp_path):
    _package(tmp_path)
    before = code_version(tmp_path)
    os.rename(tmp_path / "ner/values.py", tmp_path / "ner/numbers.py")
    assert code_version(tmp_path) != before


# --- discovery and doc_ids ------------------------------------------------------------------------
def _pdf(path: Path, body: bytes = b"%PDF-1.4 x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path


def test_discover_walks_folders_in_name_order_without_hidden_or_excluded(tmp_path):
    _pdf(tmp_path / "in/b.pdf")
    _pdf(tmp_path / "in/a.PDF")
    _pdf(tmp_path / "in/sub/c.pdf")
    _pdf(tmp_path / "in/.hidden/d.pdf")
    _pdf(tmp_path / "in/out/e.pdf")
    (tmp_path / "in/notes.txt").write_text("x")
    found = discover([str(tmp_path / "in")], exclude=tmp_path / "in/out")
    assert [p.name for p in found.files] == ["a.PDF", "b.pdf", "c.pdf"]


def test_discover_globs_files_and_duplicates(tmp_path):
    a = _pdf(tmp_path / "a.pdf")
    _pdf(tmp_path / "b.pdf")
    found = discover([str(a), str(tmp_path / "*.pdf"), str(tmp_path)])
    assert [p.name for p in found.files] == ["a.pdf", "b.pdf"]


def test_discover_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        discover([str(tmp_path / "missing.pdf")])
    with pytest.raises(UsageError, match="empty path"):
        discover([" "])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no PDFs"):
        discover([str(tmp_path / "empty")])


def test_dangling_symlink_is_skipped_with_reason_and_named_pdf_link_is_a_job(tmp_path):
    _pdf(tmp_path / "in/a.pdf")
    (tmp_path / "in/gone.txt").symlink_to(tmp_path / "nowhere")
    (tmp_path / "in/gone.pdf").symlink_to(tmp_path / "nowhere.pdf")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "in/notes.txt").symlink_to(tmp_path / "notes.txt")  # a live link to no PDF: ignored
    found = discover([str(tmp_path / "in")])
    assert [p.name for p in found.files] == ["a.pdf", "gone.pdf"]
    assert [(Path(p).name, why) for p, why in found.skipped] == [("gone.txt", "dangling symlink")]
    jobs = make_jobs(found.files)
    assert jobs[1].error == "unreadable" and jobs[1].detail == "dangling symlink" and jobs[1].sha256 == ""


def test_doc_ids_are_stems_and_clashing_stems_get_content_suffixes(tmp_path):
    a = _pdf(tmp_path / "x/report.pdf", b"%PDF one")
    b = _pdf(tmp_path / "y/report.pdf", b"%PDF two")
    c = _pdf(tmp_path / "z/report.pdf", b"%PDF two")  # an identical copy
    d = _pdf(tmp_path / "lone.pdf", b"%PDF three")
    jobs = make_jobs([a, b, c, d], password="pw")
    sha_a, sha_b = sha256_file(a), sha256_file(b)
    assert [j.doc_id for j in jobs] == [
        f"report-{sha_a[:8]}",
        f"report-{sha_b[:8]}",
        f"report-{sha_b[:8]}-2",
        "lone",
    ]
    assert all(j.password == "pw" for j in jobs) and jobs[0].sha256 == sha_a != sha_b


def test_sha256_file_refuses_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe.pdf")
    with pytest.raises(OSError, match="not a regular file"):
        sha256_file(tmp_path / "pipe.pdf")
    assert make_jobs([tmp_path / "pipe.pdf"])[0].error == "unreadable"


def test_a_symlink_loop_named_like_no_pdf_is_skipped_as_a_loop(tmp_path):
    _pdf(tmp_path / "in/a.pdf")
    (tmp_path / "in/x.txt").symlink_to(tmp_path / "in/y.txt")
    (tmp_path / "in/y.txt").symlink_to(tmp_path / "in/x.txt")
    found = discover([str(tmp_path / "in")])
    assert sorted((Path(p).name, why) for p, why in found.skipped) == [("x.txt", "symlink loop"),
                                                                        ("y.txt", "symlink loop")]  # fmt: skip


def test_no_pdfs_error_lists_what_was_skipped_only_when_something_was(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError) as e:
        discover([str(tmp_path / "empty")])
    assert "skipped" not in str(e.value)
    (tmp_path / "links").mkdir()
    (tmp_path / "links/gone.txt").symlink_to(tmp_path / "nowhere")
    with pytest.raises(UsageError, match=r"\(skipped .*gone\.txt: dangling symlink\)"):
        discover([str(tmp_path / "links")])


def test_three_identical_copies_get_counters_in_order(tmp_path):
    paths = [_pdf(tmp_path / f"{d}/plover.pdf", b"%PDF same") for d in ("a", "b", "c")]
    sha = sha256_file(paths[0])[:8]
    assert [j.doc_id for j in make_jobs(paths)] == [f"plover-{sha}", f"plover-{sha}-2", f"plover-{sha}-3"]


class _PloverTask:
    def __call__(self, job):  # pragma: no cover - never run, only named
        return job


class _TernTask:
    def __call__(self, job):  # pragma: no cover - never run, only named
        return job


def test_task_tag_tells_callable_objects_of_different_classes_apart():
    assert task_tag(_PloverTask()) != task_tag(_TernTask())
    assert "_PloverTask" in task_tag(_PloverTask())


def test_shown_escapes_undecodable_bytes_and_stray_surrogates():
    from pipeline.batch.discover import shown

    assert shown("plover.pdf") == "plover.pdf"
    assert shown("caf\udce9.pdf") == "caf\\xe9.pdf"  # the byte 0xE9 of a Latin-1 file name
    assert shown("a\ud800b") == "a\\ud800b"  # not an escaped byte: shown as a code point
