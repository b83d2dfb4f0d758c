"""`trialex` command line. Each command parses its options and hands over to its stage package;
imports are lazy so that `trialex ingest` does not pay for spaCy or Great Expectations."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from typer._click import exceptions as usage  # typer vendors click: its errors live here
from typer.core import TyperGroup

from pipeline import __version__


class _Cli(TyperGroup):
    """The top-level group: every usage error (bad option, bad choice, unknown command) is one line
    `error: ...` on stderr with exit 2, never a box or a traceback; `trialex review DIR` is read as
    `trialex review --out DIR` (the output folder given as a plain argument)."""

    def main(self, args: Any = None, *a: Any, standalone_mode: bool = True, **kw: Any) -> Any:
        argv = review_folder(list(sys.argv[1:] if args is None else args))
        try:
            code = super().main(argv, *a, standalone_mode=False, **kw)
        except usage.NoArgsIsHelpError as e:
            typer.echo(e.ctx.get_help() if e.ctx else str(e), err=True)
            code = 2
        except usage.ClickException as e:
            name = f"{e.ctx.command_path}: " if getattr(e, "ctx", None) else ""
            message = " ".join(e.format_message().replace("Value error, ", "").split())
            typer.echo(f"error: {name}{message}", err=True)
            code = e.exit_code
        except typer.Abort:
            typer.echo("aborted", err=True)
            code = 1
        if not standalone_mode:
            return code
        if args is None:  # the program itself (a test's runner passes its args): no slow teardown
            from pipeline.batch.procs import quick_exit

            quick_exit(code if isinstance(code, int) else 0)
        sys.exit(code if isinstance(code, int) else 0)


def review_folder(argv: list[str]) -> list[str]:
    """`review DIR` -> `review --out DIR` when DIR is an existing folder and no subcommand of
    `review` (a mistyped subcommand stays an error, never a new folder)."""
    if len(argv) < 2 or argv[0] != "review" or argv[1].startswith("-") or not Path(argv[1]).is_dir():
        return argv
    if argv[1] in typer.main.get_group(_review_app()).commands:
        return argv
    return ["review", "--out", argv[1], *argv[2:]]


app = typer.Typer(
    cls=_Cli,
    add_completion=False,
    no_args_is_help=True,
    help="Clinical review PDFs into checked trial data.",
)

FailOn = Literal["error", "warning", "never"]
Password = Annotated[str | None, typer.Option(help="Password for an encrypted PDF.")]
Password = Annotated[str | None, typer.Option(help="Password for an encrypted PDF.")]
AllowFailed = Annotated[
    bool, typer.Option("--allow-failed", help="Exit 0/1 even when documents failed (default: exit 3).")
]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trialex {__version__}")
        raise typer.Exit(0)


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Clinical review PDFs into checked trial data."""


@app.command()
def run(
    paths: Annotated[list[str] | None, typer.Argument(help="PDF files, folders or globs.")] = None,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path("output"),
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes (0: number of cores).")] = 0,
    executor: Annotated[Literal["local", "dask"], typer.Option(help="Where workers run.")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, tcp://HOST:8786.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds allowed per document.")] = 300.0,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Lowest severity that fails.")] = "error",
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Parse every document again (the cache is still written).")
    ] = False,
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
def ingest(
    pdf: Path,
    fmt: Annotated[Literal["text", "json"], typer.Option("--format", "-f", help="Output format.")] = "text",
    password: Password = None,
) -> None:
    """Print a PDF's body text in reading order (text) or its blocks (json)."""
    from pipeline.ingest import IngestError, show

    try:
        typer.echo(show(pdf, fmt=fmt, password=password))
    except IngestError as e:
        _fail(f"{e.code}: {e}")


@app.command()
def tables(
    pdf: Path,
    fmt: Annotated[
        Literal["md", "csv", "json"], typer.Option("--format", "-f", help="Output format.")
    ] = "md",
    password: Password = None,
) -> None:
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
    target: Annotated[
        list[Path] | None,
        typer.Argument(help="Output folder of a run (default output/), or PDF files to run first."),
    ] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Lowest severity that fails.")] = "error",
    allow_failed: AllowFailed = False,
    github: Annotated[
        bool, typer.Option("--github", help="GitHub Actions: ::error annotations and $GITHUB_STEP_SUMMARY.")
    ] = False,
    out: Annotated[
        Path, typer.Option("-o", "--out", help="Output folder when PDFs are given (cached between runs).")
    ] = Path(".trialex"),
) -> None:
    """Exit 1 when a finding of a run reaches --fail-on, 3 when a document failed (unless
    --allow-failed), 0 otherwise, 2 on usage or I/O errors. Given PDF files (a pre-commit hook),
    runs the pipeline on them into --out first."""
    from pipeline.quality.gate import check_command

    targets = target or [Path("output")]
    pdfs = [p for p in targets if p.suffix.lower() == ".pdf"]
    if pdfs and len(pdfs) != len(targets):
        _fail("give one output folder or PDF files, not both")
    if not pdfs and len(targets) > 1:
        _fail("give one output folder at a time")
    if pdfs:
        from pipeline.batch import run_command

        options = {"fail_on": fail_on, "allow_failed": allow_failed, "data_docs": False}
        if run_command([str(p) for p in pdfs], out=out, **options) == 2:
            raise typer.Exit(2)
    folder = out if pdfs else targets[0]
    raise typer.Exit(check_command(folder, fail_on=fail_on, allow_failed=allow_failed, github=github))


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


app.add_typer(
    _review_app(), name="review", help="Curator review queue (`trialex review DIR`: the run in DIR)."
)


if __name__ == "__main__":
    app()
