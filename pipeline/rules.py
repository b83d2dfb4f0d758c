"""Rules are data: every YAML/JSONL file under `rules/` loaded once into one read-only mapping."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

# libyaml's safe loader parses the rules ~10x faster than the pure-Python one; every process of a run
# (main, workers, Data Docs) loads them at start.
_YAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The rules shipped inside the package (pipeline/_rules: in a checkout a link to the top-level rules/
# folder, in a wheel a copy), so an installed trialex needs no checkout; `--rules` overrides them.
DEFAULT_DIR = Path(str(resources.files("pipeline").joinpath("_rules")))


class RulesError(ValueError):
    """A rules folder that does not hold together: every problem as `file: key: reason`."""


@dataclass(frozen=True)
class Rules:
    root: Path
    data: Mapping[str, Any]  # file stem -> parsed content (YAML document, or list for JSONL)
    digest: str  # hash of every rules file: a change invalidates cached results

    def __getitem__(self, name: str) -> Any:
        return self.data[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)


def validate(rules: Rules) -> Rules:
    """Check every file against its typed model (pipeline.rules_schema); RulesError lists what is
    wrong. The batch runs it before any document is processed, so a typo is a usage error."""
    from pipeline.rules_schema import problems

    found = [
        p for name, content in rules.data.items() for p in problems(name, content, _file(rules.root, name))
    ]
    if found:
        more = f" (and {len(found) - 10} more)" if len(found) > 10 else ""
        raise RulesError("; ".join(found[:10]) + more)
    return rules


def _file(root: Path, stem: str) -> str:
    """`rules/<stem>.<suffix>`: the file a loaded entry came from, as the curator knows it."""
    path = root / stem
    names = sorted(p.name for p in path.parent.glob(f"{path.name}.*"))
    return f"rules/{Path(stem).parent / names[0] if names else stem}".replace("/./", "/")


def folder(root: str | Path | None = None) -> Path:
    """The rules folder `load(root)` reads: `root`, else $TRIALEX_RULES, else the shipped rules."""
    root = Path(root or os.environ.get("TRIALEX_RULES") or DEFAULT_DIR)
    if not root.is_dir():
        raise FileNotFoundError(f"rules folder not found: {root}")
    return root


def _files(root: Path) -> Iterator[Path]:
    """The rules files of a folder, in the order their digest is taken."""
    for path in sorted(root.rglob("*")):
        if path.suffix in (".yml", ".yaml", ".jsonl") and path.is_file():
            yield path


def digest(root: str | Path | None = None) -> str:
    """`load(root).digest` without parsing anything (a run whose outputs are current needs no more)."""
    root = folder(root)
    h = hashlib.sha256()
    for path in _files(root):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def load(root: str | Path | None = None) -> Rules:
    root = folder(root)
    data: dict[str, Any] = {}
    h = hashlib.sha256()
    for path in _files(root):
        raw = path.read_bytes()
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + raw)
        text = raw.decode("utf-8")
        if path.suffix == ".jsonl":
            content: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            try:
                content = yaml.load(text, Loader=_YAML)  # noqa: S506 - a safe loader, libyaml's when built
            except yaml.YAMLError as e:  # a usage error naming the file, never a traceback
                raise RulesError(f"{path.relative_to(root).as_posix()}: {e}".replace("\n", " ")) from e
        data[path.relative_to(root).with_suffix("").as_posix()] = content
    return Rules(root=root, data=MappingProxyType(data), digest=h.hexdigest()[:16])


_NAME_KEYS = ("canonical", "inn", "name", "brands", "codes", "aliases")


def name_words(rules: Rules) -> frozenset[str]:
    """The printed words of every product and trial name of the rules (products, trials, registry),
    lower case, hyphenated names also by their parts: paper-independent vocabulary for ingest's
    line-end hyphens ("Xyz-" + "Tor" keeps the name's own spelling). A plain set of words, so that
    ingest depends on no other stage."""
    out: set[str] = set()
    for stem, key in (("products", "products"), ("trials", "trials"), ("registry", "trials")):
        for entry in (rules.get(stem) or {}).get(key) or []:
            for k in _NAME_KEYS:
                v = entry.get(k) if isinstance(entry, dict) else None
                for name in [v] if isinstance(v, str) else v or []:
                    for word in str(name).lower().split():
                        word = word.strip("\"'()[]{},;:.")
                        if word:
                            out.add(word)
                            out.update(p for p in word.split("-") if p)
    return frozenset(out)
