"""The review web app through FastAPI's TestClient, and two clients deciding at once against a real
uvicorn server on SQLite."""

from __future__ import annotations

import io
import json
import re
import threading
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from pipeline.review import Store, create_app, sync
from tests.test_review_data import XSS, Server, make_run, read_csv


@pytest.fixture
def env(tmp_path: Path):
    out = make_run(tmp_path / "run")
    store = Store(f"sqlite:///{out / 'review.db'}")
    sync(store, out, threshold=0.7)
    client = TestClient(create_app(store, out), base_url="http://127.0.0.1:8000")
    return store, out, client


def test_queue_lists_items_with_filters_and_counts(env):
    store, _, client = env
    r = client.get("/")
    assert r.status_code == 200
    assert r.text.count('<tr class="item"') == 4
    assert "error (1)" in r.text and "warning (1)" in r.text and "4 items" in r.text
    r = client.get("/", params={"severity": "warning"})
    assert r.text.count('<tr class="item"') == 1 and "n_mismatch" in r.text
    assert [
        i["item_id"] for i in client.get("/api/items", params={"kind": "finding", "check": "grim"}).json()
    ] == []
    store.decide("f-cr", "dismiss", "ann")
    r = client.get("/", params={"status": "open"})
    assert r.text.count('<tr class="item"') == 3 and "rejected (1)" in r.text


def test_queue_groups_by_study_with_badges_pages_and_search(env):
    store, _, client = env
    html = client.get("/").text
    heads = re.findall(r'<span class="doc">([^<]*)</span> › <span class="study">([^<]*)</span>', html)
    assert heads == [("paper", "TRIAL-A")]  # every item of the fixture is about TRIAL-A: one group
    rows = re.findall(r'<tr class="item" data-pk="\d+" data-severity="(\w+)">', html)
    assert rows == ["error", "warning", "info", "info"]  # errors first within the study
    assert '<span class="badge badge-error">error</span>' in html
    cr = html[html.index(f'data-pk="{store.get("f-cr").pk}"') :]
    assert '<td class="pages">1, 2</td>' in cr[: cr.index("</tr>")]
    r = client.get("/", params={"q": "82.8 table"})  # every word must match
    assert r.text.count('<tr class="item"') == 1 and "text_table_mismatch" in r.text
    assert client.get("/", params={"q": "nowhere-in-queue"}).text.count('<tr class="item"') == 0
    assert client.get("/", params={"q": "100%_"}).status_code == 200  # LIKE wildcards are literal
    # a literal %: the two snippets that print one (a wildcard would match all 4 items)
    assert client.get("/", params={"q": "%"}).text.count('<tr class="item"') == 2


def test_pdf_text_is_escaped_and_csp_forbids_inline_script(env):
    store, _, client = env
    r = client.get(f"/items/{store.get('f-cr').pk}")
    assert r.status_code == 200
    assert XSS not in r.text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "<script" not in r.text.replace('<script src="/static/review.js" defer></script>', "")
    assert client.get("/static/review.js").status_code == 200  # assets served locally
    assert "http" not in r.text.split("<main>")[0].replace("http-equiv", "")  # no CDN in the head


def test_decisions_only_by_post_and_same_origin(env):
    store, out, client = env
    pk = store.get("f-cr").pk
    assert client.get(f"/items/{pk}/decide", params={"action": "dismiss", "curator": "x"}).status_code == 405
    r = client.post(
        f"/items/{pk}/decide",
        data={"action": "dismiss", "curator": "eve"},
        headers={"Origin": "http://evil.example"},
    )
    assert r.status_code == 403
    r = client.post(
        f"/items/{pk}/decide",
        data={"action": "dismiss", "curator": "eve"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert r.status_code == 403
    assert store.get("f-cr").status == "open"


def test_form_decision_redirects_to_next_and_applies(env):
    store, out, client = env
    cr, n = store.get("f-cr"), store.get("f-n")
    r = client.post(
        f"/items/{cr.pk}/decide?severity=",
        data={"action": "accept_text", "curator": "ann", "comment": "copied"},
        headers={"Origin": "http://127.0.0.1:8000"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/items/{n.pk}"
    assert r.cookies.get("curator") == "ann"
    item = store.get("f-cr")
    assert (item.status, item.decision.value, item.decision.comment) == ("accepted", "46", "copied")
    table = [
        o
        for o in read_csv(out / "curated" / "outcomes.csv")
        if o["metric"] == "CR" and o["source"] == "table"
    ]
    assert table[0]["value"] == "46"
    page = client.get(f"/items/{cr.pk}").text
    assert "ann · accept_text = 46" in page


def test_api_decisions_validate(env):
    store, _, client = env
    assert (
        client.post("/api/items/f-n/decisions", json={"action": "correct", "curator": "ann"}).status_code
        == 422
    )
    assert (
        client.post("/api/items/f-n/decisions", json={"action": "nuke", "curator": "ann"}).status_code == 422
    )
    assert (
        client.post("/api/items/f-n/decisions", json={"action": "dismiss", "curator": ""}).status_code == 422
    )
    assert (
        client.post("/api/items/zz/decisions", json={"action": "dismiss", "curator": "a"}).status_code == 404
    )
    r = client.post("/api/items/f-n/decisions", json={"action": "correct", "curator": "ann", "value": "135"})
    assert r.status_code == 200
    assert r.json()["status"] == "corrected" and r.json()["decisions"][0]["value"] == "135"


def test_crop_outlines_the_value_characters_and_tints_their_cell(env):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    store, _, client = env
    r = client.get(f"/items/{store.get('f-cr').pk}/parts/1.png")  # table value 82.8 in cell "CR: 82.8%"
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(r.content)).convert("RGB")
    # the cell "CR: 82.8%" is drawn at x 300, top 400, Helvetica 12 (tests/test_review_data.py)
    x0 = 300 + stringWidth("CR: ", "Helvetica", 12)
    x1 = x0 + stringWidth("82.8", "Helvetica", 12)
    # scale 2, whole points, a band of 90 pt above and below the characters: page y 310 to 503
    assert img.size == (1224, (503 - 310) * 2)
    row = (406 - 310) * 2
    assert img.getpixel((round(x0 * 2) - 3, row)) == (220, 20, 60)  # red outline just left of "8"
    assert img.getpixel((round(x1 * 2) + 3, row)) == (220, 20, 60)  # and just right of the last "8"
    tint = img.getpixel((300 * 2 - 1, row))  # the cell's left edge: tinted, not outlined
    assert tint[2] < 200 and tint[0] > 200 and tint != (220, 20, 60)
    assert img.getpixel((1100, 10)) == (255, 255, 255)


def test_page_images_only_for_documents_in_the_store(env, tmp_path):
    store, out, client = env
    assert client.get("/docs/paper/pages/2.png").status_code == 200
    assert client.get("/docs/paper/pages/3.png").status_code == 404
    assert client.get("/docs/other/pages/1.png").status_code == 404
    for path in (
        "/docs/..%2F..%2Fetc%2Fpasswd/pages/1.png",
        "/docs/%2Fetc%2Fpasswd/pages/1.png",
        "/docs/../../etc/passwd/pages/1.png",
        "/static/../review.db",
        "/static/%2e%2e/store.py",
        "/items/1/parts/9.png",
        "/items/999/parts/0.png",
    ):
        r = client.get(path)
        assert r.status_code == 404, path
        assert not r.content.startswith(b"\x89PNG") and b"SQLite" not in r.content


def test_changed_pdf_is_refused(env):
    store, out, client = env
    pdf = Path(store.docs()["paper"].path)
    pdf.write_bytes(pdf.read_bytes() + b"\n% edited\n")
    r = client.get("/docs/paper/pages/1.png")
    assert r.status_code == 409 and "changed since the run" in r.json()["detail"]


def test_two_clients_deciding_at_once_both_land(tmp_path):
    out = make_run(tmp_path / "run")
    store = Store(f"sqlite:///{out / 'review.db'}")
    sync(store, out)
    targets = {"ann": "f-cr", "bob": "f-n"}
    errors: list[str] = []
    rounds = 8
    barrier = threading.Barrier(len(targets))
    with Server(create_app(store, out)) as srv:

        def client(curator: str, item: str) -> None:
            with httpx.Client(base_url=srv.url, timeout=30) as c:
                barrier.wait()
                for k in range(rounds):
                    body = {"action": "correct", "curator": curator, "value": str(100 + k)}
                    r = c.post(f"/api/items/{item}/decisions", json=body)
                    if r.status_code != 200:
                        errors.append(f"{curator}: {r.status_code} {r.text}")

        threads = [threading.Thread(target=client, args=kv) for kv in targets.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
    for curator, item in targets.items():
        got = store.get(item)
        assert [d.curator for d in got.decisions] == [curator] * rounds
        assert got.decision.value == str(100 + rounds - 1)
    outcomes = read_csv(out / "curated" / "outcomes.csv")
    assert {o["value"] for o in outcomes if o["metric"] in ("CR", "N")} == {str(100 + rounds - 1)}


def test_snippet_marks_the_documents_entities_and_the_value(env):
    store, out, client = env
    mentions = [
        {"doc_id": "paper", "label": "METRIC", "text": "ORR", "canonical": "ORR"},
        {"doc_id": "paper", "label": "TRIAL", "text": "CR", "canonical": "CR"},
        {"doc_id": "other", "label": "PRODUCT", "text": "was", "canonical": "was"},  # another document's
    ]
    (out / "mentions.jsonl").write_text("\n".join(json.dumps(m) for m in mentions) + "\n", encoding="utf-8")
    html = client.get(f"/items/{store.get('f-cr').pk}").text
    snippet = html[html.index('<blockquote class="snippet">') : html.index("</blockquote>")]
    marks = re.findall(
        r'<mark class="entity ent-(\w+)">([^<]*)<span class="ent-label">\1</span></mark>', snippet
    )
    assert marks == [("METRIC", "ORR"), ("VALUE", "46"), ("TRIAL", "CR")]
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in snippet and "<script>" not in snippet
    assert " style=" not in snippet  # the CSP refuses inline styles: nothing the browser would drop
