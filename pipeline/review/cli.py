"""`trialex review …`: the curator queue from the shell and the web app. Imports stay light at module
level (pipeline/cli.py imports this at startup); SQLAlchemy, FastAPI and uvicorn load inside commands."""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from pipeline.review.store import Store

app = typer.Typer(add_completion=False, help="Curator review queue (web app: `trialex review`).")

Out = Annotated[Path | None, typer.Option("--out", "-o", help="Output folder of a run (default: output).")]
Db = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL (default: sqlite:///OUT/review.db).")]
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class Opts:
    out: Path = Path("output")
    db: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _open(ctx: typer.Context, out: Path | None, db: str | None, sync: bool = True) -> tuple[Store, Path]:
    """The store, synced from the run in `out` when there is one (new items in, vanished ones stale)."""
    from pipeline.review.runs import sync as sync_run
    from pipeline.review.store import Store, StoreError

    opts: Opts = ctx.obj or Opts()
    out = out or opts.out
    url = db or opts.db or os.environ.get("TRIALEX_REVIEW_DB")
    if not url:
        out.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{(out / 'review.db').resolve()}"
    try:
        store = Store(url)
        if sync and any((out / f).is_file() for f in ("findings.csv", "outcomes.csv")):
            rep = sync_run(store, out, _threshold())
            if rep.added or rep.stale or rep.revived:
                typer.echo(f"synced {out}: {rep}", err=True)
    except StoreError as e:
        _fail(str(e))
    return store, out


def _threshold() -> float:
    from pipeline.rules import load

    return float((load().get("review") or {}).get("low_confidence", 0.7))


def _curator(name: str | None) -> str:
    return name or os.environ.get("TRIALEX_CURATOR") or getpass.getuser()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    out: Out = None,
    db: Db = None,
    host: Annotated[
        str, typer.Option(help="Address to bind; keep it local unless you mean it.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Without a command: start the review web app (same as `serve`)."""
    ctx.obj = Opts(out or Path("output"), db, host, port)
    if ctx.invoked_subcommand is None:
        serve(ctx)


@app.command()
def serve(
    ctx: typer.Context,
    out: Out = None,
    db: Db = None,
    host: Annotated[str | None, typer.Option(help="Address to bind (default: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: 8000).")] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option("--allow-host", help="Host name clients may use besides loopback (repeatable)."),
    ] = None,
) -> None:
    """Start the local review web app over the run in --out."""
    import uvicorn

    from pipeline.review.app import create_app

    opts: Opts = ctx.obj or Opts()
    host, port = host or opts.host, port or opts.port
    store, out = _open(ctx, out, db)
    if host not in LOOPBACK:
        typer.echo(f"warning: serving on {host}: anyone who reaches it can record decisions", err=True)
    typer.echo(f"review queue: http://{host}:{port}/  ({len(store.items())} items)", err=True)
    hosts = list(allow_host or []) + ([host] if host not in LOOPBACK + ("0.0.0.0", "::") else [])
    uvicorn.run(create_app(store, out, hosts=hosts), host=host, port=port, log_level="warning")


@app.command("import")
def import_(ctx: typer.Context, out: Out = None, db: Db = None) -> None:
    """Sync the store from a run (findings.csv, outcomes.csv, report.json) and write curated outputs."""
    from pipeline.review.curated import apply
    from pipeline.review.runs import sync as sync_run
    from pipeline.review.store import StoreError

    store, out = _open(ctx, out, db, sync=False)
    try:
        typer.echo(str(sync_run(store, out, _threshold())))
    except StoreError as e:
        _fail(str(e))
    apply(store, out)


@app.command("list")
def list_(
    ctx: typer.Context,
    out: Out = None,
    db: Db = None,
    doc: Annotated[str | None, typer.Option(help="Only this document.")] = None,
    check: Annotated[str | None, typer.Option(help="Only this check.")] = None,
    severity: Annotated[str | None, typer.Option(help="Only this severity.")] = None,
    status: Annotated[str | None, typer.Option(help="open, accepted, rejected or corrected.")] = None,
    stale: Annotated[
        bool, typer.Option("--stale", help="Include items the last run no longer reports.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
) -> None:
    """List queue items."""
    from pipeline.review.app import item_json

    store, _ = _open(ctx, out, db)
    filters = {"doc_id": doc or "", "check": check or "", "severity": severity or "", "status": status or ""}
    for item in store.items(filters, include_stale=stale):
        if as_json:
            typer.echo(json.dumps(item_json(item), ensure_ascii=False))
        else:
            flag = " (stale)" if item.stale else ""
            typer.echo(
                f"{item.pk:>4} {item.item_id:<16} {item.status:<9} {item.severity:<7} {item.check:<20} "
                f"{item.doc_id} {item.study_id} {item.metric}  {item.values}{flag}"
            )


@app.command()
def decide(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="finding_id (or the item number shown by `list`).")],
    accept: Annotated[str | None, typer.Option(help="Accept the `text` or the `table` value.")] = None,
    value: Annotated[str | None, typer.Option(help="Enter a corrected value.")] = None,
    dismiss: Annotated[bool, typer.Option("--dismiss", help="Not an error.")] = False,
    note: Annotated[str, typer.Option(help="Comment.")] = "",
    curator: Annotated[
        str | None, typer.Option(help="Your name (default: $TRIALEX_CURATOR or login).")
    ] = None,
    out: Out = None,
    db: Db = None,
) -> None:
    """Settle an item: --accept text|table, --value V or --dismiss."""
    chosen = [
        a
        for a in (accept and f"accept_{accept}", value is not None and "correct", dismiss and "dismiss")
        if a
    ]
    if len(chosen) != 1:
        _fail("give exactly one of --accept text|table, --value V, --dismiss")
    if accept and accept not in ("text", "table"):
        _fail(f"--accept takes text or table, not {accept!r}")
    _settle(ctx, item, str(chosen[0]), value or "", note, curator, out, db)


@app.command("dismiss")
def dismiss_(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="finding_id (or item number).")],
    note: Annotated[str, typer.Option(help="Why it is not an error.")] = "",
    curator: Annotated[str | None, typer.Option(help="Your name.")] = None,
    out: Out = None,
    db: Db = None,
) -> None:
    """Dismiss an item as not an error."""
    _settle(ctx, item, "dismiss", "", note, curator, out, db)


def _settle(ctx, item, action, value, note, curator, out, db) -> None:  # type: ignore[no-untyped-def]
    from pipeline.review.curated import apply
    from pipeline.review.store import StoreError

    store, out = _open(ctx, out, db)
    try:
        d = store.decide(item, action, _curator(curator), value, note)
    except StoreError as e:
        _fail(str(e))
    apply(store, out)
    got = store.get(item)
    typer.echo(f"{got.item_id}: {got.status}" + (f" = {d.value}" if d.value else ""))


@app.command()
def apply(ctx: typer.Context, out: Out = None, db: Db = None) -> None:
    """Write OUT/curated/outcomes.csv and findings.csv with the decisions applied."""
    from pipeline.review.curated import apply as apply_

    store, out = _open(ctx, out, db)
    typer.echo(str(apply_(store, out)))


@app.command("export-gold")
def export_gold(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(help="Gold folder to write (format of shared/gold).")],
    out: Out = None,
    db: Db = None,
) -> None:
    """Export settled decisions as a gold folder for `trialex score` and the tests."""
    from pipeline.review.export import export_gold as export
    from pipeline.review.store import StoreError
    from pipeline.rules import load

    store, out = _open(ctx, out, db)
    try:
        counts = export(store, out, dest, (load().get("review") or {}).get("valid_id_patterns"))
    except StoreError as e:
        _fail(str(e))
    typer.echo(", ".join(f"{n} rows in {name}" for name, n in counts.items()))


@app.command("export-ls")
def export_ls(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(help="Label Studio tasks JSON to write.")],
    out: Out = None,
    db: Db = None,
) -> None:
    """Export the queue as Label Studio tasks (with the labeling config beside it)."""
    from pipeline.review.export import export_label_studio

    store, _ = _open(ctx, out, db)
    typer.echo(f"{export_label_studio(store, dest)} tasks in {dest}")


@app.command("import-ls")
def import_ls(
    ctx: typer.Context,
    src: Annotated[Path, typer.Argument(help="Label Studio export (JSON).")],
    curator: Annotated[str | None, typer.Option(help="Record decisions under this name.")] = None,
    out: Out = None,
    db: Db = None,
) -> None:
    """Import decisions from a Label Studio JSON export."""
    from pipeline.review.curated import apply as apply_
    from pipeline.review.export import import_label_studio
    from pipeline.review.store import StoreError

    store, out = _open(ctx, out, db)
    try:
        n = import_label_studio(store, src, curator or "")
    except StoreError as e:
        _fail(str(e))
    apply_(store, out)
    typer.echo(f"{n} decisions imported")
