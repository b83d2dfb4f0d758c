"""`trialex` command line. Each command parses its options and hands over to its stage package;
imports are lazy so that `trialex ingest` does not pay for spaCy or Great Expectations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Clinical review PDFs into checked trial data."
)

Fmt = Annotated[str, typer.Option("--format", "-f", help="Output format.")]
Password = Annotated[str | None, typer.Option(help="Password for an encrypted PDF.")]
AllowFailed = Annotated[
    bool, typer.Option("--allow-failed", help="Exit 0/1 even when documents failed (default: exit 3).")
]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def run(
    paths: Annotated[list[str] | None, typer.Argument(help="PDF files, folders or globs.")] = None,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path("output"),
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes (0: number of cores).")] = 0,
    executor: Annotated[str, typer.Option(help="local or dask.")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, tcp://HOST:8786.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds allowed per document.")] = 300.0,
    fail_on: Annotated[str, typer.Option("--fail-on", help="error, warning or never.")] = "error",
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Parse every document again.")] = False,
    rules: Annotated[Path | None, typer.Option(help="Rules folder.")] = None,
    password: Password = None,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help="Default OUT/.cache.")] = None,
    allow_failed: AllowFailed = False,
) -> None:
    """Run every stage over PDFs (default input/) and write outputs and reports.

    Exit code: 0 ok, 1 a finding reached --fail-on, 2 usage error (bad option, path or rules),
    3 a document failed (unless --allow-failed), 130 interrupted (rerun to continue)."""
    from pipeline.batch import run_command

    code = run_command(
        paths or ["input"],
        out=out,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        timeout=timeout,
        fail_on=fail_on,
        use_cache=not no_cache,
        rules_dir=rules,
        password=password,
        cache_dir=cache_dir,
        allow_failed=allow_failed,
    )
    raise typer.Exit(code)


@app.command()
def ingest(pdf: Path, fmt: Fmt = "text", password: Password = None) -> None:
    """Print a PDF's body text in reading order (text) or its blocks (json)."""
    from pipeline.ingest import IngestError, show

    try:
        typer.echo(show(pdf, fmt=fmt, password=password))
    except IngestError as e:
        _fail(f"{e.code}: {e}")


@app.command()
def tables(pdf: Path, fmt: Fmt = "md", password: Password = None) -> None:
    """Print the tables of a PDF (md, csv or json)."""
    from pipeline.ingest import IngestError
    from pipeline.tables import show

    try:
        typer.echo(show(pdf, fmt=fmt, password=password))
    except IngestError as e:
        _fail(f"{e.code}: {e}")


@app.command()
def ner(pdf: Path, password: Password = None) -> None:
    """Print the entity mentions of a PDF as JSON lines."""
    from pipeline.ingest import IngestError
    from pipeline.ner import RulesError, show

    try:
        typer.echo(show(pdf, password=password))
    except IngestError as e:
        _fail(f"{e.code}: {e}")
    except RulesError as e:
        _fail(f"rules: {e}")


@app.command()
def check(
    out: Annotated[Path, typer.Argument(help="Output folder of a run.")] = Path("output"),
    fail_on: Annotated[str, typer.Option("--fail-on", help="error, warning or never.")] = "error",
    allow_failed: AllowFailed = False,
) -> None:
    """Exit 1 when a finding of a run reaches --fail-on, 3 when a document failed (unless
    --allow-failed), 0 otherwise, 2 on usage or I/O errors."""
    from pipeline.quality.gate import check_command

    raise typer.Exit(check_command(out, fail_on=fail_on, allow_failed=allow_failed))


@app.command()
def score(
    gold: Annotated[Path, typer.Option("--gold", help="Gold folder (format of shared/gold).")],
    out: Annotated[Path, typer.Argument(help="Output folder of a run.")] = Path("output"),
    details: Annotated[
        bool, typer.Option("--details", help="List misses, extras, unmatched findings.")
    ] = False,
) -> None:
    """Outcome P/R/F1 by source, findings recall and traps, studies found: the rules of shared/gold."""
    from pipeline.evaluate.accuracy import score_command

    raise typer.Exit(score_command(gold, out, details))


def _review_app() -> typer.Typer:
    from pipeline.review.cli import app as review_app

    return review_app


app.add_typer(_review_app(), name="review", help="Curator review queue.")


if __name__ == "__main__":
    app()
