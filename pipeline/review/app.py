"""The review web app: server-rendered queue and item pages, page crops, decisions by POST only.

Everything derived from a PDF is rendered through Jinja2's autoescaping, and the Content-Security-Policy
forbids inline script besides, so text such as `<script>` in a paper shows as text. Page images are
looked up by item or by a document in the store, never by a path from the request."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, unquote, urlencode, urlsplit

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from pipeline.pages.locate import Locator
from pipeline.pages.render import Renderer, RenderError
from pipeline.review import evidence
from pipeline.review.curated import apply
from pipeline.review.guard import LOOPBACK_NAMES, Guard
from pipeline.review.snippets import Mentions
from pipeline.review.store import (
    ACTIONS,
    FILTERS,
    LIMITS,
    MAX_PK,
    SEARCH,
    STATUSES,
    Item,
    Store,
    StoreError,
    parts,
)
from pipeline.review.values import MAX_VALUE_CHARS

HERE = Path(__file__).resolve().parent
CSP = (
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
MAX_PAGE = 100_000


class DecisionIn(BaseModel):
    action: str = Field(max_length=LIMITS["action"])
    curator: str = Field(max_length=LIMITS["curator"])
    value: str = Field("", max_length=MAX_VALUE_CHARS)
    comment: str = Field("", max_length=LIMITS["comment"])


def item_json(item: Item) -> dict:
    return {
        "pk": item.pk,
        "item_id": item.item_id,
        "kind": item.kind,
        "doc_id": item.doc_id,
        "check": item.check,
        "severity": item.severity,
        "status": item.status,
        "stale": item.stale,
        "message": item.message,
        "study_id": item.study_id,
        "metric": item.metric,
        "values": item.values,
        "decisions": [
            {
                "action": d.action,
                "value": d.value,
                "comment": d.comment,
                "curator": d.curator,
                "created_at": d.created_at.isoformat(timespec="seconds"),
            }
            for d in item.decisions
        ],
    }


def create_app(
    store: Store,
    out_dir: Path | None = None,
    renderer: Renderer | None = None,
    hosts: Iterable[str] = (),
) -> FastAPI:
    """The app over one store; after each decision the curated outputs of `out_dir` are rewritten.
    Requests must name a loopback host (or one of `hosts`) in their Host header: a page of another
    origin that resolves its name to 127.0.0.1 (DNS rebinding) is refused."""
    app = FastAPI(title="trialex review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(Guard, hosts=set(LOOPBACK_NAMES) | {h.lower() for h in hosts})
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    renderer = renderer or Renderer()
    locator, mentions = Locator(), Mentions()
    apply_lock = threading.Lock()  # one writer of the curated files per server
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next):  # type: ignore[no-untyped-def]
        if request.method not in ("GET", "HEAD") and not _same_origin(request):
            return JSONResponse({"detail": "cross-origin request refused"}, status_code=403)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def settle(key: str | int, body: DecisionIn) -> Item:
        try:
            store.decide(key, body.action, body.curator, body.value, body.comment)
        except StoreError as e:
            raise HTTPException(status_code=404 if "no review item" in str(e) else 422, detail=str(e)) from e
        if out_dir is not None:
            with apply_lock:
                apply(store, out_dir)
        return store.get(key)

    def filters_of(request: Request) -> dict[str, str]:
        keys = (*FILTERS, SEARCH)
        found = {
            k: request.query_params.get(k, "").strip()
            for k in keys
            if request.query_params.get(k, "").strip()
        }
        if any(len(v) > LIMITS["key"] for v in found.values()):
            raise HTTPException(422, f"a filter value has at most {LIMITS['key']} characters")
        return found

    @app.get("/")
    def queue(request: Request) -> Response:
        filters = filters_of(request)
        return templates.TemplateResponse(
            request,
            "queue.html",
            {
                "groups": _groups(store.items(filters)),
                "counts": store.counts(filters),
                "filters": filters,
                "qs": urlencode(filters),
                "statuses": STATUSES,
            },
        )

    @app.get("/items/{pk}")
    def item_page(request: Request, pk: int) -> Response:
        item = _get(store, _pk(pk))
        filters = filters_of(request)
        prev, nxt = store.neighbours(pk, filters)
        doc = store.docs().get(item.doc_id)
        return templates.TemplateResponse(
            request,
            "item.html",
            {
                "item": item,
                "views": evidence.views(renderer, locator, mentions, doc, parts(item)),
                "sources": {p.source for p in parts(item)},
                "prev": prev,
                "next": nxt,
                "qs": urlencode(filters),
                "curator": unquote(request.cookies.get("curator", ""))[: LIMITS["curator"]],
                "doc": doc,
            },
        )

    @app.post("/items/{pk}/decide")
    def decide_form(
        request: Request,
        pk: int,
        action: Annotated[str, Form(max_length=LIMITS["action"])],
        curator: Annotated[str, Form(max_length=LIMITS["curator"])] = "",
        value: Annotated[str, Form(max_length=MAX_VALUE_CHARS)] = "",
        comment: Annotated[str, Form(max_length=LIMITS["comment"])] = "",
    ) -> Response:
        settle(_pk(pk), DecisionIn(action=action, curator=curator, value=value, comment=comment))
        filters = filters_of(request)
        _, nxt = store.neighbours(pk, filters)
        qs = urlencode(filters)
        target = f"/items/{nxt}" if nxt else "/"
        response = RedirectResponse(f"{target}?{qs}" if qs else target, status_code=303)
        # Cookie values are Latin-1 on the wire: the name is stored percent-encoded UTF-8.
        response.set_cookie("curator", quote(curator.strip(), safe=""), httponly=True, samesite="strict")
        return response

    @app.get("/items/{pk}/parts/{i}.png")
    def part_png(pk: int, i: int) -> Response:
        item = _get(store, _pk(pk))
        ps = parts(item)
        if not 0 <= i < len(ps) or not ps[i].page:
            raise HTTPException(404, "this value has no page")
        doc = store.docs().get(item.doc_id)
        try:
            loc = evidence.locate(renderer, locator, doc, ps[i])
            data = evidence.png(renderer, doc, loc)  # type: ignore[arg-type]
        except RenderError as e:
            raise _http(e) from e
        return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})

    @app.get("/docs/{doc_id}/pages/{page}.png")
    def page_png(doc_id: str, page: int) -> Response:
        if not 0 < page <= MAX_PAGE:
            raise HTTPException(404, "no such page")
        return _png(store, renderer, doc_id, page, [], None)

    @app.get("/api/items")
    def api_items(request: Request) -> list[dict]:
        return [item_json(i) for i in store.items(filters_of(request))]

    @app.get("/api/items/{key}")
    def api_item(key: str) -> dict:
        return item_json(_get(store, key))

    @app.post("/api/items/{key}/decisions")
    def api_decide(key: str, body: DecisionIn) -> dict:
        return item_json(settle(key, body))

    @app.get("/api/actions")
    def api_actions() -> dict[str, str]:
        return dict(ACTIONS)

    return app


def _pk(pk: int) -> int:
    """An item number the store can hold; any other names no item (404, never an overflow)."""
    if not 0 < pk <= MAX_PK:
        raise HTTPException(404, "no such review item")
    return pk


def _get(store: Store, key: str | int) -> Item:
    try:
        return store.get(key)
    except StoreError as e:
        raise HTTPException(404, str(e)) from e


def _png(
    store: Store, renderer: Renderer, doc_id: str, page: int, boxes: list, band: float | None
) -> Response:
    doc = store.docs().get(doc_id)
    if doc is None or not doc.path:
        raise HTTPException(404, "unknown document")
    try:
        renderer.verify(doc.path, doc.sha256)
        data = renderer.png(doc.path, page, boxes, band)
    except RenderError as e:
        raise _http(e) from e
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


def _http(e: RenderError) -> HTTPException:
    missing = any(w in str(e) for w in ("not found", "out of range", "unknown document", "no page"))
    return HTTPException(404 if missing else 409, str(e))


def _groups(items: list[Item]) -> list[tuple[str, str, list[Item]]]:
    """Items (already ordered by document and study) as (document, study label, items) groups."""
    out: list[tuple[str, str, list[Item]]] = []
    for item in items:
        label = item.trial + (f" {item.cohort}" if item.cohort and item.trial else "") if item.trial else ""
        label = label or item.study_id or "document-wide (no study)"
        if out and out[-1][0] == item.doc_id and out[-1][2][0].study_id == item.study_id:
            out[-1][2].append(item)
        else:
            out.append((item.doc_id, label, [item]))
    return out


def _same_origin(request: Request) -> bool:
    """Refuse a POST a foreign page makes the curator's browser send (the app has no login).
    Browsers set Sec-Fetch-Site themselves; older ones and other clients are judged by Origin."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host", "")
