"""Several documents' rows validated in one GX run (`Suites.verdicts`, `pipeline.quality.grouped`)
give each document exactly its verdict alone; the run's validator (`remote.Served`) validates the
requests of several workers together, yet answers a worker that waits at once."""

from __future__ import annotations

import threading
import time

import pytest

from pipeline.model import Outcome, Study
from pipeline.quality import remote
from pipeline.quality.expectations import frame


@pytest.fixture(scope="module")
def suites():
    from pipeline.quality import suites as build
    from pipeline.rules import load

    return build(load())


def _o(doc: str, **kw) -> Outcome:
    base = dict(doc_id=doc, study_id="s1", metric="ORR", value=40.0, unit="%", source="table", page=2)
    return Outcome(**{**base, **kw})


def _frames():
    first = [_o("d1", value=131.0), _o("d1"), _o("d1", unit="furlongs"), _o("d1", value=None, qualifier="")]
    second = [_o("d2"), _o("d2", n=7.5), _o("d2"), _o("d2", value=212.0), _o("d2", nct_id="NCT77")]
    third = [_o("d3", page=0)] + [_o("d3", metric="QQQ_RATE", value=float(i)) for i in range(230)]
    return [frame(rows, Outcome) for rows in (first, second, [], third)]


def _seen(v) -> tuple:
    results = []
    for r in v.results:
        d = r.to_json_dict()
        d["expectation_config"].pop("id", None)
        results.append(d)
    failures = [(f.check, f.note, f.column, f.row, repr(f.value)) for f in v.failures]
    columns = None if v.columns is None else (v.columns.to_json(), v.columns.dtypes.astype(str).tolist())
    return results, failures, v.rows, columns


def test_documents_validated_together_get_each_its_verdict_alone(suites):
    frames = _frames()
    alone = [_seen(suites.verdict("outcomes", f)) for f in frames]
    together = [_seen(v) for v in suites.verdicts("outcomes", frames)]
    assert together == alone
    # the second document's failing rows are its own rows 1 and 3, not rows of the joint frame
    second = {(note, row) for _, note, _, row, _ in together[1][1]}
    assert ("n a whole number", 1) in second and ("percent in [0, 100]", 3) in second
    assert ("registry id well-formed", 4) in second
    assert together[2][2] == 0  # no rows: no verdict to make
    # more failing rows than GX lists values for (230): every one, each with its value
    third = [(row, value) for _, note, _, row, value in together[3][1] if note == "metric in the vocabulary"]
    assert [r for r, _ in third] == list(range(1, 231)) and third[-1][1] == repr("QQQ_RATE")


def test_a_rule_over_the_whole_column_is_judged_per_document(suites):
    # the same study id in two documents is no duplicate: each document's rows are checked alone
    studies = [
        frame([Study("d1", "s1", trial="WREN-3", n=10, sources="table")], Study),
        frame(
            [
                Study("d2", "s1", trial="WREN-3", n=12, sources="table"),
                Study("d2", "s1", n=9, sources="text"),
            ],
            Study,
        ),
    ]
    together = suites.verdicts("studies", studies)
    assert [_seen(v) for v in together] == [_seen(suites.verdict("studies", f)) for f in studies]
    assert not together[0].failures
    assert {(f.note, f.row) for f in together[1].failures} == {
        ("study ids unique", 0),
        ("study ids unique", 1),
    }


class _Counting:
    """The suites, counting the documents each `verdicts` call validates together."""

    def __init__(self, suites) -> None:
        self.suites, self.calls = suites, []

    def verdicts(self, name, frames):
        self.calls.append((name, len(frames)))
        return self.suites.verdicts(name, frames)

    def verdict(self, name, df):
        return self.suites.verdict(name, df)


@pytest.fixture
def served(suites, monkeypatch):
    monkeypatch.setattr(remote, "LINGER", 600.0)  # a request waits for company as long as it may
    served = remote.Served(remote.listener())
    counting = _Counting(suites)
    served.ready(counting)  # type: ignore[arg-type]
    yield served, counting
    served.close()


def _remote(served) -> remote.Remote:
    def never():
        raise AssertionError("validated in the worker")

    return remote.Remote(served.sock.address, never)


def test_requests_of_two_workers_go_through_one_run_and_a_waiting_worker_is_answered_at_once(served):
    served, counting = served
    frames = _frames()
    first, second = _remote(served), _remote(served)
    first.failures("outcomes", frames[0])  # one worker connected: answered at once, as before
    second.failures("outcomes", frames[1])  # it waited, so it is answered though the first has no company
    assert counting.calls == [("outcomes", 1), ("outcomes", 1)]
    # both workers connected: a request waits for the other worker's ...
    pending = first.submit("outcomes", frames[3])
    assert not first._conn.poll(0.5)
    later = second.submit("outcomes", frames[0])  # ... which comes: both in one run
    deadline = time.monotonic() + 120  # (read by the validator before the first worker says it waits)
    while sum(w.received for w in served._workers) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    alone = counting.suites.verdict
    assert _seen_failures(pending()) == _seen_failures(alone("outcomes", frames[3]).failures)
    assert _seen_failures(later()) == _seen_failures(alone("outcomes", frames[0]).failures)
    assert counting.calls[-1] == ("outcomes", 2)
    # per suite: both workers' studies go together, the first's outcomes wait for the second's
    studies = frame([Study("d1", "s1", trial="WREN-3", n=10, sources="table")], Study)
    got = [first.submit("studies", studies), first.submit("outcomes", frames[0])]
    got.append(second.submit("studies", studies))
    deadline = time.monotonic() + 120
    while ("studies", 2) not in counting.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    assert counting.calls[-1] == ("studies", 2)
    got.append(second.submit("outcomes", frames[1]))
    for pending in got:
        pending()
    assert counting.calls[-2:] == [("studies", 2), ("outcomes", 2)]
    # a worker waiting on its verdict is answered without company
    done = threading.Event()
    pending = first.submit("outcomes", frames[1])
    threading.Thread(target=lambda: (pending(), done.set()), daemon=True).start()
    assert done.wait(120), "a waiting worker was not answered"
    assert counting.calls[-1] == ("outcomes", 1)


def _seen_failures(failures) -> list:
    return [(f.check, f.note, f.column, f.row, repr(f.value)) for f in failures]
