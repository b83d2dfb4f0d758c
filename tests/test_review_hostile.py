"""Hostile requests to the review app: names outside Latin-1, bodies that are not UTF-8, retried POSTs,
corrections that are not one number, foreign Host headers (DNS rebinding), huge ids and fields, and a
bounded fuzz of every route and form: 4xx, never 5xx, and nothing stored twice."""

from __future__ import annotations

import random
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from pipeline.review import Store, create_app, sync
from tests.test_review_data import make_run, read_csv

BIG = 2**63
NAME = "Zoë Čapek 张伟"


@pytest.fixture
def env(tmp_path: Path):
    out = make_run(tmp_path / "run")
    store = Store(f"sqlite:///{out / 'review.db'}")
    sync(store, out, threshold=0.7)
    app = create_app(store, out)
    client = TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False)
    return store, out, client


def _form(client: TestClient, pk: int, **data: str):
    return client.post(f"/items/{pk}/decide", data=data, follow_redirects=False)


def test_curator_name_outside_latin1_is_kept_and_a_retry_stores_nothing_twice(env):
    store, _, client = env
    pk = store.get("f-cr").pk
    for _ in range(2):  # the browser retries the same form
        r = _form(client, pk, action="dismiss", curator=NAME, comment="known")
        assert r.status_code == 303
    assert r.cookies.get("curator") == quote(NAME, safe="")
    item = store.get("f-cr")
    assert [(d.curator, d.action) for d in item.decisions] == [(NAME, "dismiss")]
    page = client.get(f"/items/{pk}").text
    assert f'value="{NAME}"' in page  # the next form is filled in with the name, decoded
    r = client.post("/api/items/f-n/decisions", json={"action": "correct", "curator": NAME, "value": "135"})
    again = client.post(
        "/api/items/f-n/decisions", json={"action": "correct", "curator": NAME, "value": "135"}
    )
    assert r.status_code == again.status_code == 200 and len(again.json()["decisions"]) == 1
    changed = client.post(
        "/api/items/f-n/decisions", json={"action": "correct", "curator": NAME, "value": "136"}
    )
    assert [d["value"] for d in changed.json()["decisions"]] == ["135", "136"]  # a new decision is kept


@pytest.mark.parametrize(
    "body,ctype",
    [
        (b"action=dismiss&curator=%FF%FE", "application/x-www-form-urlencoded"),
        (b"action=dismiss&curator=\xff\xfe", "application/x-www-form-urlencoded"),
        (b'{"action": "dismiss", "curator": "\xff"}', "application/json"),
    ],
)
def test_body_that_is_not_utf8_is_refused_before_anything_is_stored(env, body, ctype):
    store, _, client = env
    pk = store.get("f-cr").pk
    url = f"/items/{pk}/decide" if "form" in ctype else "/api/items/f-cr/decisions"
    r = client.post(url, content=body, headers={"content-type": ctype}, follow_redirects=False)
    assert r.status_code == 400 and "UTF-8" in r.json()["detail"]
    assert store.get("f-cr").decisions == []


@pytest.mark.parametrize(
    "key,value,why",
    [
        ("f-cr", "37,5", "point for decimals"),
        ("f-n", "1,234", "thousands separator"),
        ("f-cr", "1e309", "exponent"),
        ("f-cr", "abc", "not a number"),
        ("f-cr", "nan", "not a number"),
        ("f-cr", "12 months", "not the unit"),
        ("f-n", "12.5", "whole number"),
        ("f-n", "-3", "not a number"),
        ("f-cr", "4 5", "not one plain number"),
    ],
)
def test_corrections_that_are_not_one_number_in_the_unit_get_422(env, key, value, why):
    store, out, client = env
    r = client.post(
        f"/api/items/{key}/decisions", json={"action": "correct", "curator": "ann", "value": value}
    )
    assert r.status_code == 422 and why in r.json()["detail"]
    assert store.get(key).decisions == []


@pytest.mark.parametrize(
    "key,value,stored",
    [
        ("f-cr", "37.5", "37.5"),
        ("f-cr", "37.5 %", "37.5"),
        ("f-n", "≥ 130 patients", ">=130"),
        ("f-cr", "NR", "NR"),
    ],
)
def test_corrections_in_the_unit_are_stored_normalised(env, key, value, stored):
    store, out, client = env
    r = client.post(
        f"/api/items/{key}/decisions", json={"action": "correct", "curator": "ann", "value": value}
    )
    assert r.status_code == 200 and r.json()["decisions"][0]["value"] == stored
    if key == "f-cr" and stored == "37.5":
        curated = [o for o in read_csv(out / "curated" / "outcomes.csv") if o["metric"] == "CR"]
        assert {o["value"] for o in curated} == {"37.5"}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", ""])
def test_foreign_host_header_is_refused(env, host):
    store, _, client = env
    assert client.get("/api/items", headers={"host": host}).status_code == 400
    r = client.post(
        "/api/items/f-cr/decisions", json={"action": "dismiss", "curator": "eve"}, headers={"host": host}
    )
    assert r.status_code == 400 and store.get("f-cr").decisions == []


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST"])
def test_loopback_names_are_served(env, host):
    _, _, client = env
    assert client.get("/api/items", headers={"host": host}).status_code == 200


def test_another_allowed_host_can_be_named(tmp_path):
    out = make_run(tmp_path / "run")
    store = Store(f"sqlite:///{out / 'review.db'}")
    client = TestClient(
        create_app(store, out, hosts=["review.lab.internal"]), base_url="http://review.lab.internal"
    )
    assert client.get("/api/items").status_code == 200


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", f"/items/{BIG}"),
        ("get", f"/items/{BIG * 10}"),
        ("post", f"/items/{BIG}/decide"),
        ("get", f"/items/{BIG}/parts/0.png"),
        ("get", f"/api/items/{BIG}"),
        ("post", f"/api/items/{BIG}/decisions"),
        ("get", f"/docs/paper/pages/{BIG}.png"),
        ("get", "/docs/paper/pages/0.png"),
        ("get", "/items/0"),
        ("get", f"/api/items/{'9' * 300}"),
    ],
)
def test_ids_out_of_range_are_404(env, method, url):
    _, _, client = env
    if method == "post":
        kw = (
            {"json": {"action": "dismiss", "curator": "a"}}
            if "/api/" in url
            else {"data": {"action": "dismiss", "curator": "a"}}
        )
        r = client.post(url, **kw)
    else:
        r = client.get(url)
    assert r.status_code == 404


@pytest.mark.parametrize("field,size", [("curator", 201), ("comment", 2001), ("value", 65), ("action", 33)])
def test_fields_have_bounded_lengths(env, field, size):
    store, _, client = env
    data = {"action": "correct", "curator": "ann", "value": "40", field: "x" * size}
    assert _form(client, store.get("f-cr").pk, **data).status_code == 422
    assert client.post("/api/items/f-cr/decisions", json=data).status_code == 422
    assert store.get("f-cr").decisions == []


def test_huge_body_and_huge_cookie_are_bounded(env):
    store, _, client = env
    pk = store.get("f-cr").pk
    r = client.post(f"/items/{pk}/decide", content=b"action=dismiss&comment=" + b"x" * 70_000,
                    headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert r.status_code == 413
    client.cookies.set("curator", "y" * 3000)
    page = client.get(f"/items/{pk}").text
    assert 'value="' + "y" * 200 + '"' in page and "y" * 201 not in page


_ACTIONS = ["accept_text", "accept_table", "correct", "dismiss", "", "nuke", "x" * 40]
_VALUES = ["", "37.5", "37,5", "1e309", "abc", "≥12", "-1", "\x00", "9" * 70, "NR", "<!--", "100.0001"]
_TEXT = ["", "ann", NAME, "\ud800", "a" * 250, "<script>", "%FF", "\r\n", "\x00"]


def _fuzz_requests(rng: random.Random, pks: list[int]):
    ids = [str(p) for p in pks] + ["f-cr", "zz", "-1", "0", str(BIG), "1" * 30, "%00", "..%2F..", "a" * 210]
    for _ in range(400):
        key = rng.choice(ids)
        kind = rng.randrange(8)
        data = {
            "action": rng.choice(_ACTIONS),
            "curator": rng.choice(_TEXT),
            "value": rng.choice(_VALUES),
            "comment": rng.choice(_TEXT),
        }
        data = {k: v for k, v in data.items() if rng.random() > 0.15}
        if kind == 0:
            yield "get", f"/items/{key}", {"params": {"status": rng.choice(_TEXT)}}
        elif kind == 1:
            yield "post", f"/items/{key}/decide", {"data": data}
        elif kind == 2:
            yield "get", f"/items/{key}/parts/{rng.choice(['0', '1', '7', '-1', str(BIG)])}.png", {}
        elif kind == 3:
            yield "get", f"/api/items/{key}", {}
        elif kind == 4:
            yield "post", f"/api/items/{key}/decisions", {"json": data}
        elif kind == 5:
            yield "post", f"/api/items/{key}/decisions", {"content": rng.randbytes(rng.randrange(40)),
                                                           "headers": {"content-type": "application/json"}}  # fmt: skip
        elif kind == 6:
            yield (
                "get",
                f"/docs/{rng.choice(['paper', 'zz', key])}/pages/{rng.choice(['1', '2', '0', str(BIG)])}.png",
                {},
            )
        else:
            yield "get", "/", {"params": {"severity": rng.choice(_TEXT), "doc_id": rng.choice(_TEXT)}}


def _safe(kw: dict) -> dict:
    """httpx encodes text as UTF-8: a lone surrogate cannot be sent, so it goes as bytes it maps to."""

    def fix(v):
        return v.encode("utf-8", "surrogatepass").decode("latin-1") if isinstance(v, str) else v

    out = dict(kw)
    for k in ("data", "params"):
        if k in out:
            out[k] = {a: fix(b) for a, b in out[k].items()}
    if "json" in out:
        out["json"] = {a: b.encode("utf-8", "replace").decode() for a, b in out["json"].items()}
    return out


def test_fuzz_of_routes_and_forms_answers_4xx_never_5xx_and_stores_nothing_twice(env):
    store, _, client = env
    rng = random.Random(17)
    pks = [i.pk for i in store.items()]
    seen = []
    for method, url, kw in _fuzz_requests(rng, pks):
        r = getattr(client, method)(url, follow_redirects=False, **_safe(kw))
        seen.append(r.status_code)
        assert r.status_code < 500, (method, url, kw, r.text[:200])
    assert any(s < 400 for s in seen) and any(400 <= s < 500 for s in seen)
    for item in store.items():
        ds = [(d.action, d.value, d.comment, d.curator) for d in item.decisions]
        assert all(a != b for a, b in zip(ds, ds[1:], strict=False)), item.item_id  # no retry stored twice
