"""The review store: queue items (findings and low-confidence outcomes), their decisions (full history)
and the documents they point into. SQLAlchemy, so SQLite by default and PostgreSQL for a team."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    case,
    create_engine,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, selectinload

from pipeline.review.values import CorrectionError, correction, metric_units

STATUSES = ("open", "accepted", "rejected", "corrected")
ACTIONS = {
    "accept_table": "accepted",
    "accept_text": "accepted",
    "correct": "corrected",
    "dismiss": "rejected",
}
KNOWN_SOURCES = ("text", "table", "registry")
FILTERS = ("doc_id", "check", "severity", "status", "kind")
SEARCH = "q"  # the queue's search box: every word must occur in one of SEARCHED
SEARCHED = ("doc_id", "check", "message", "study_id", "trial", "cohort", "product", "metric", "values", "snippets")  # fmt: skip
MAX_PK = 2**63 - 1  # SQL integer keys: a larger number names no item
LIMITS = {"key": 200, "curator": 200, "comment": 2000, "action": 32}  # characters


class StoreError(Exception):
    """A clear, user-facing problem with the store (bad URL, unknown item, invalid decision)."""


class Base(DeclarativeBase):
    pass


class Doc(Base):
    __tablename__ = "documents"
    doc_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    path: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    out_dir: Mapped[str] = mapped_column(Text, default="")


class Item(Base):
    __tablename__ = "items"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(200), unique=True, index=True)  # finding_id or o-<hash>
    kind: Mapped[str] = mapped_column(String(16))  # finding | outcome
    doc_id: Mapped[str] = mapped_column(String(200), index=True)
    check: Mapped[str] = mapped_column(String(64), default="")
    severity: Mapped[str] = mapped_column(String(16), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    study_id: Mapped[str] = mapped_column(String(200), default="")
    trial: Mapped[str] = mapped_column(String(200), default="")
    cohort: Mapped[str] = mapped_column(String(100), default="")
    product: Mapped[str] = mapped_column(String(200), default="")
    metric: Mapped[str] = mapped_column(String(64), default="")
    values: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[str] = mapped_column(Text, default="")
    pages: Mapped[str] = mapped_column(Text, default="")
    snippets: Mapped[str] = mapped_column(Text, default="")
    bboxes: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    row: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the CSV row as imported
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="item", order_by="Decision.id", cascade="all, delete-orphan"
    )

    @property
    def page_list(self) -> list[int]:
        """The pages of the item's values, each once, in order."""
        return sorted({p.page for p in parts(self) if p.page})

    @property
    def decision(self) -> Decision | None:
        """The decision in force: the latest one."""
        return self.decisions[-1] if self.decisions else None


class Decision(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.pk"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text, default="")  # the value the curator settled on
    comment: Mapped[str] = mapped_column(Text, default="")
    curator: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    item: Mapped[Item] = relationship(back_populates="decisions")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Part:
    """One competing value of an item: where it came from and where it sits on the page."""

    source: str
    value: str
    page: int
    bbox: tuple[float, float, float, float] | None
    snippet: str
    label: str = ""  # what the value is when the finding names it ("n" in "text CR:25% | n:43")


def _split(s: str | None) -> list[str]:
    return [p.strip() for p in (s or "").split(" | ")] if s else []


def _evidence_parts(row: dict[str, Any] | None) -> list[Part] | None:
    """Parts from the finding's structured evidence (findings.csv `evidence`, JSON), when it has it."""
    raw = (row or {}).get("evidence")
    if not raw:
        return None
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return None
    out = []
    for e in items if isinstance(items, list) else ():
        src, label = str(e.get("source", "")), str(e.get("label", ""))
        first, _, rest = label.partition(" ")
        page, box = _parse_box(str(e.get("bbox", "")))
        out.append(
            Part(src, str(e.get("value", "")), int(e.get("page") or page or 0), box, str(e.get("snippet", "")),
                 rest if first == src else ("" if label == src else label))
        )  # fmt: skip
    return out


def parts(item: Item) -> list[Part]:
    """The item's values side by side: from its structured evidence, else parsed from the
    " | "-joined columns (runs written before findings carried evidence)."""
    structured = _evidence_parts(item.row)
    if structured is not None:
        return structured
    values, sources = _split(item.values), _split(item.sources)
    pages, snippets, bboxes = _split(item.pages), _split(item.snippets), _split(item.bboxes)
    out = []
    for i, raw in enumerate(values):
        prefix, colon, val = raw.partition(":")
        if not colon:
            prefix, val = "", raw
        words = prefix.split(maxsplit=1)
        if words and words[0] in KNOWN_SOURCES:  # "table SCR:73.7%", "text:46", "registry:III"
            src, label = words[0], (words[1] if len(words) > 1 else "")
        else:  # "n:43", "ALPHA-2 2a:NCT12345678": the source comes from the sources column
            src, label = (sources[i] if i < len(sources) else ""), prefix.strip()
        page_s = pages[i] if i < len(pages) else ""
        box_s = bboxes[i] if i < len(bboxes) else ""
        page, box = _parse_box(box_s)
        if not page and page_s.strip().isdigit():
            page = int(page_s)
        snippet = snippets[i] if i < len(snippets) else ""
        out.append(Part(src, val.strip(), page, box, snippet, label))
    return out


def _parse_box(s: str) -> tuple[int, tuple[float, float, float, float] | None]:
    """`p3:x0,top,x1,bottom` (findings) or `x0,top,x1,bottom` (outcomes) -> (page or 0, box)."""
    page = 0
    if s.startswith("p") and ":" in s:
        head, _, s = s.partition(":")
        page = int(head[1:]) if head[1:].isdigit() else 0
    try:
        x0, top, x1, bottom = (float(v) for v in s.split(","))
    except ValueError:
        return page, None
    return page, (x0, top, x1, bottom)


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL lets readers run beside the one writer; the busy timeout makes a second writer wait rather
    than fail; writes begin IMMEDIATE so a read lock is never upgraded mid-transaction (SQLITE_BUSY)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")


def _units() -> dict[str, str]:
    from pipeline.rules import load

    return metric_units((load().get("metrics") or {}).get("metrics"))


class Store:
    def __init__(self, url: str, units: Mapping[str, str] | None = None) -> None:
        self._units = dict(units) if units is not None else None  # metric -> unit, from rules
        try:
            self.engine = create_engine(url)
        except (ArgumentError, ImportError) as e:
            raise StoreError(f"cannot open review store {url!r}: {e}") from e
        if self.engine.dialect.name == "sqlite":
            _sqlite_pragmas(self.engine)
        self._writer = self.engine.execution_options(write=True)
        try:
            Base.metadata.create_all(self.engine)
        except OperationalError as e:
            raise StoreError(f"cannot open review store {url!r}: {e.orig}") from e

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        with Session(self._writer if write else self.engine, expire_on_commit=False) as s:
            if write:
                with s.begin():
                    yield s
            else:
                yield s

    # -- queries ---------------------------------------------------------------------------------

    def query(self, s: Session, filters: dict[str, str] | None = None, include_stale: bool = False):
        """Items matching `filters` (exact per FILTERS column; `q` a search of their words), grouped
        by document and study, errors first within a study."""
        q = select(Item).options(selectinload(Item.decisions))
        for key, value in (filters or {}).items():
            if value and key in FILTERS:
                q = q.where(getattr(Item, key) == value)
            elif value and key == SEARCH:
                for word in value.split()[:8]:
                    like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                    q = q.where(or_(*(getattr(Item, c).ilike(like, escape="\\") for c in SEARCHED)))
        if not include_stale:
            q = q.where(Item.stale.is_(False))
        rank = case({s: i for i, s in enumerate(("error", "warning", "info"))}, value=Item.severity, else_=3)
        return q.order_by(Item.doc_id, Item.study_id == "", Item.study_id, rank, Item.kind, Item.pk)

    def items(self, filters: dict[str, str] | None = None, include_stale: bool = False) -> list[Item]:
        with self.session() as s:
            return list(s.scalars(self.query(s, filters, include_stale)))

    def counts(self, filters: dict[str, str] | None = None) -> dict[str, dict[str, int]]:
        """Item counts per value of each filter column, among items matching the other filters."""
        out: dict[str, dict[str, int]] = {}
        with self.session() as s:
            for col in FILTERS:
                others = {k: v for k, v in (filters or {}).items() if k != col}
                sub = self.query(s, others).subquery()
                rows = s.execute(select(sub.c[col], func.count()).group_by(sub.c[col]))
                out[col] = {str(k): n for k, n in sorted(rows, key=lambda r: str(r[0]))}
        return out

    def get(self, key: str | int) -> Item:
        """An item by surrogate key or item id (finding_id), with its decisions loaded."""
        if len(str(key)) > LIMITS["key"] or (isinstance(key, int) and not 0 < key <= MAX_PK):
            raise StoreError(f"no review item {str(key)[:40]!r}")
        with self.session() as s:
            item = s.get(Item, key) if isinstance(key, int) else None
            if item is None:
                item = s.scalar(select(Item).where(Item.item_id == str(key)))
            if item is None and str(key).isdigit() and 0 < int(key) <= MAX_PK:
                item = s.get(Item, int(key))
            if item is None:
                raise StoreError(f"no review item {key!r}")
            _ = item.decisions  # load before the session closes
            return item

    def neighbours(self, pk: int, filters: dict[str, str] | None = None) -> tuple[int | None, int | None]:
        keys = [i.pk for i in self.items(filters)]
        if pk not in keys:
            return None, keys[0] if keys else None
        i = keys.index(pk)
        return (keys[i - 1] if i else None), (keys[i + 1] if i + 1 < len(keys) else None)

    def docs(self) -> dict[str, Doc]:
        with self.session() as s:
            return {d.doc_id: d for d in s.scalars(select(Doc))}

    # -- decisions -------------------------------------------------------------------------------

    def unit(self, item: Item) -> str:
        """The unit a value of this item is in: the outcome row's, else the metric's in the rules."""
        if isinstance(item.row, dict) and item.row.get("unit"):
            return str(item.row["unit"])
        if self._units is None:
            self._units = _units()
        return self._units.get(item.metric, "")

    def decide(
        self, key: str | int, action: str, curator: str, value: str = "", comment: str = ""
    ) -> Decision:
        """Record a decision (the history keeps every earlier one) and set the item's status.
        Idempotent: the same decision again (a retried request) is the decision in force, not a
        second one."""
        if action not in ACTIONS:
            raise StoreError(f"unknown action {action[:40]!r}; use one of {', '.join(ACTIONS)}")
        curator, comment = curator.strip(), comment.strip()
        if not curator:
            raise StoreError("a decision needs the curator's name")
        for name, text in (("curator", curator), ("comment", comment)):
            if len(text) > LIMITS[name]:
                raise StoreError(f"the {name} has at most {LIMITS[name]} characters")
        item = self.get(key)
        if action in ("accept_table", "accept_text"):
            wanted = action.removeprefix("accept_")
            chosen = [p for p in parts(item) if p.source == wanted]
            if not chosen:
                raise StoreError(f"item {item.item_id} has no {wanted} value to accept")
            value = chosen[0].value
        elif action == "correct":
            try:
                value = correction(value, self.unit(item))
            except CorrectionError as e:
                raise StoreError(str(e)) from e
        else:
            value = ""
        with self.session(write=True) as s:
            row = s.get(Item, item.pk)
            assert row is not None
            last = s.scalar(select(Decision).where(Decision.item_pk == row.pk).order_by(Decision.id.desc()))
            if last is not None and (last.action, last.value, last.comment, last.curator) == (
                action,
                value.strip(),
                comment,
                curator,
            ):
                row.status = ACTIONS[action]
                return last  # a retry: the decision is already in force
            d = Decision(
                item_pk=row.pk,
                action=action,
                value=value.strip(),
                comment=comment,
                curator=curator,
                created_at=now(),
            )
            s.add(d)
            row.status = ACTIONS[action]
        return d
