"""Stage 6: the curator review queue. Public: `Store(url)` (SQLAlchemy; items, decisions, documents),
`sync(store, out_dir, threshold)` (import a run: findings + low-confidence outcomes become items),
`apply(store, out_dir)` (writes out_dir/curated/ with decisions applied), `create_app(store, out_dir)`
(the FastAPI web app), `export_gold(store, out_dir, dest)`, `export_label_studio` / `import_label_studio`.
The CLI is `pipeline.review.cli.app` (`trialex review`). Heavy imports load lazily through this module.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_PUBLIC = {
    "Store": "store",
    "StoreError": "store",
    "sync": "runs",
    "apply": "curated",
    "create_app": "app",
    "export_gold": "export",
    "export_label_studio": "export",
    "import_label_studio": "export",
}


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(f"pipeline.review.{_PUBLIC[name]}"), name)
    raise AttributeError(name)
