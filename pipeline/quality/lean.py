"""What a process that validates with Great Expectations' pandas engine need not import. GX 1.x
imports, on `import great_expectations`, about half a second of SQLAlchemy (through its own
compatibility shim, `great_expectations.compatibility.sqlalchemy`, which treats it as optional and
puts stand-ins in its place when it is missing) and more than a second of scipy.stats and altair
(imported at module level by the KL-divergence expectation and the KS-test metrics, used only inside
their methods, to compute a divergence or draw a chart). `lean()`, called before GX is imported,
leaves SQLAlchemy out and makes scipy.stats and altair lazy modules, loaded on first attribute use:
an expectation of rules/expectations.yml that needs them still has them, the others never pay.

Standard library only; nothing of GX's own code is changed.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

LAZY = ("scipy.stats", "altair")  # imported at module level by GX, used only inside methods
OPTIONAL = ("sqlalchemy",)  # optional for GX (its shims stand in for it); pandas never needs it here


class _LazyFinder(importlib.abc.MetaPathFinder):
    """Finds the modules of `names` as the path finder does, with a loader that runs each module's
    code on its first attribute access (`importlib.util.LazyLoader`)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def lean() -> None:
    """In this process, from now on: the OPTIONAL modules are missing and the LAZY ones load on first
    use (each unless already imported). Call before Great Expectations is imported; once is enough."""
    for name in OPTIONAL:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment] # `import name` raises ImportError
    if not any(isinstance(f, _LazyFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _LazyFinder([n for n in LAZY if n not in sys.modules]))
