"""`procs.kept`: what a process imports or builds for its whole life is made without the collector's
passes, its garbage collected once at the end and the rest frozen; the fork server's preload is made
that way, so every worker and the validator start with the stages loaded and frozen."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_KEPT = """
import gc, json, weakref
from pipeline.batch.procs import kept

class Node:
    pass

def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a

before = gc.get_freeze_count()
with kept():
    inside = gc.isenabled()
    garbage = weakref.ref(cycle())  # unreachable at once: only the cyclic collector frees it
    alive_inside = garbage() is not None
    kept_node = cycle()
state = {"inside": inside, "alive_inside": alive_inside, "freed": garbage() is None,
         "frozen": gc.get_freeze_count() > before, "enabled": gc.isenabled()}
gc.disable()
with kept():
    pass
state["stays_disabled"] = not gc.isenabled()
print(json.dumps(state))
"""


def _run(code: str) -> dict:
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_kept_collects_once_at_the_end_then_freezes_what_is_left():
    state = _run(_KEPT)
    assert state["inside"] is False and state["alive_inside"]  # no collection while it builds
    assert state["freed"] and state["frozen"] and state["enabled"]
    assert state["stays_disabled"]  # a collector turned off before stays off


def test_the_fork_servers_preload_leaves_the_stages_loaded_and_frozen():
    code = (
        "import gc, json, sys, pipeline.batch.preload; print(json.dumps({'frozen': gc.get_freeze_count(),"
        " 'enabled': gc.isenabled(), 'mods': [m for m in ('spacy', 'pandas', 'pipeline.batch.task',"
        " 'pipeline.process') if m in sys.modules]}))"
    )
    state = _run(code)
    assert state["mods"] == ["spacy", "pandas", "pipeline.batch.task", "pipeline.process"]
    assert state["enabled"] and state["frozen"] > 50_000  # the libraries' objects, out of the GC's sight


def test_the_preload_defers_spacys_command_line_until_it_is_used():
    code = (
        "import json, sys, pipeline.batch.preload, spacy; before = [m for m in ('typer', 'weasel', 'requests')"
        " if m in sys.modules]; tagged = spacy.info(silent=True)['spacy_version'];"
        " print(json.dumps({'before': before, 'version': tagged == spacy.__version__,"
        " 'cli': callable(spacy.cli.setup_cli), 'real': 'typer' in sys.modules}))"
    )
    state = _run(code)
    assert state["before"] == []  # imported with spaCy, not loaded
    assert state["version"] and state["cli"] and state["real"]  # the real command line, on first use
