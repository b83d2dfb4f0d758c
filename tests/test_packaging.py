"""The built wheel works with no checkout: it is built from a copy of the sources (offline, no build
isolation), installed into a fresh venv, and `trialex run` is run from a temp folder, where neither
the repository nor its rules/ folder is on sys.path. Third-party packages come from the dev venv's
site-packages (a .pth line after the fresh venv's own), never trialex itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from pipeline.rules import load

from .conftest import ROOT

pytestmark = pytest.mark.slow


def _sh(args: list, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    res = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert res.returncode == 0, f"{args}\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
    return res


def _sources(dest: Path) -> Path:
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "pipeline", dest / "pipeline", symlinks=True, ignore=skip)
    shutil.copytree(ROOT / "rules", dest / "rules", ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    return dest


def test_wheel_runs_from_a_fresh_venv_without_the_checkout(tmp_path):
    src = _sources(tmp_path / "src")
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    _sh(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", wheels, src],
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("trialex-*.whl")
    venv = tmp_path / "venv"
    _sh([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    py = venv / "bin" / "python"
    _sh([*pip, "--python", py, "install", "--no-deps", "--no-index", "-q", wheel], cwd=tmp_path)
    site = Path(
        _sh([py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path).stdout.strip()
    )
    (site / "zz_dev_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")  # after the venv's own

    work = tmp_path / "work"
    (work / "in").mkdir(parents=True)
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(work / "in" / "note.pdf"))
    c.setFont("Helvetica", 10)
    c.drawString(72, 720, "The VALKYR-2 study enrolled 64 patients; the overall response rate was 41%.")
    c.save()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TRIALEX", "VIRTUAL_ENV"))}
    custom = tmp_path / "custom-rules"  # --rules (and TRIALEX_RULES) still override the packaged folder
    shutil.copytree(ROOT / "rules", custom)
    (custom / "review.yml").write_text((custom / "review.yml").read_text() + "\n# a curator's note\n")
    probe = (
        "import pipeline, pipeline.rules as r; print(pipeline.__file__); print(r.DEFAULT_DIR); "
        f"print(r.load().digest); print(r.load({str(custom)!r}).digest)"
    )
    where, rules_dir, packaged, overridden = _sh([py, "-c", probe], work, env).stdout.split()
    assert Path(where).is_relative_to(venv) and Path(rules_dir).is_relative_to(venv)
    assert not Path(rules_dir).is_symlink() and (Path(rules_dir) / "checks.yml").is_file()
    assert packaged == load().digest != overridden == load(custom).digest

    _sh([venv / "bin" / "trialex", "run", "in", "-o", "out", "-j", "1", "--fail-on", "never"], work, env)
    report = json.loads((work / "out" / "report.json").read_text())
    assert report["totals"]["ok"] == 1 and report["totals"]["outcomes"] >= 1
    assert report["run"]["rules_digest"] == packaged
    assert (work / "out" / "outcomes.parquet").is_file() and (work / "out" / "findings.csv").is_file()
    assert not (work / "rules").exists() and not list(work.glob("*.py"))


def test_unreadable_rules_yaml_is_a_usage_error_naming_the_file(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    custom = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", custom)
    (custom / "metrics.yml").write_text("metrics: [unclosed\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.pdf").write_bytes(b"%PDF-1.4 x")
    res = CliRunner().invoke(
        app, ["run", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--rules", str(custom)]
    )
    assert res.exit_code == 2 and "metrics.yml" in res.output and "Traceback" not in res.output
