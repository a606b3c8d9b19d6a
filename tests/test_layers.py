"""The packages stay layered (docs/architecture.md): no module imports a layer above its own, and the plain
dashboard modules never import Streamlit. Every import counts, at the top of a module or inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import REPO

STAGES = {"cli", "sources", "fetch", "extract", "mentions", "store", "demo"}
RUN = {"pipeline", "fetching", "summary", "worker", "cluster", "reextract"}
STREAMLIT_SIDE = {"app", "shell", "views", "lists", "afterchart", "cache", "urlstate", "access", "serve"}

# layer -> the layers it may import (besides itself). Lowest first, as docs/architecture.md lists them.
ALLOWED = {
    "ingest.base": set(),
    "ingest.store": {"ingest.base"},
    "ingest.fetch": {"ingest.base"},
    "ingest.sources": {"ingest.base", "ingest.fetch"},
    "ingest.extract": {"ingest.base", "ingest.fetch", "ingest.store"},
    "ingest.mentions": {"ingest.base", "ingest.store"},
    "ingest.run": {"ingest.base", "ingest.store", "ingest.fetch", "ingest.sources", "ingest.extract",
                   "ingest.mentions"},
    "ingest.demo": {"ingest.base", "ingest.sources", "ingest.run"},
    "ingest.cli": {"ingest.base", "ingest.store", "ingest.fetch", "ingest.sources", "ingest.extract",
                   "ingest.mentions", "ingest.run"},
    "dashboard.data": {"ingest.base", "ingest.store", "ingest.mentions"},
    "dashboard.plain": {"dashboard.data"},
    "dashboard.streamlit": {"dashboard.data", "dashboard.plain", "ingest.base", "ingest.store"},
    # alert rules, evaluation, state and delivery (docs/alerts.md): plain (no Streamlit), writes the store's alerts/
    "dashboard.alerts": {"dashboard.data", "dashboard.plain", "ingest.base", "ingest.store", "ingest.mentions"},
    "dashboard.screens": {"dashboard.data", "dashboard.plain", "dashboard.streamlit", "dashboard.alerts"},
}
TOP = "dashboard.cli"  # the installed `newsmon` command: above both packages, may import anything


def layer(module: str) -> str | None:
    """The layer of a dotted module name of ours, or None for anything else (the standard library, packages)."""
    parts = module.split(".")
    if parts[0] == "ingest":
        if len(parts) == 1 or parts[1] not in STAGES | RUN:
            return "ingest.base"
        return "ingest.run" if parts[1] in RUN else f"ingest.{parts[1]}"
    if parts[0] == "dashboard":
        if len(parts) == 1:
            return "dashboard.plain"  # `from dashboard import x`: x's layer is checked by its own name
        if parts[1] == "cli":
            return TOP
        if parts[1] in ("data", "screens", "alerts"):
            return f"dashboard.{parts[1]}"
        return "dashboard.streamlit" if parts[1] in STREAMLIT_SIDE else "dashboard.plain"
    return None


def imports(path: Path) -> list[str]:
    """Every module name the file imports; `from pkg import name` counts as pkg.name when that is a module."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                is_module = (REPO / Path(*sub.split("."))).with_suffix(".py").exists() or (
                    REPO / Path(*sub.split("."))).is_dir()
                names.append(sub if is_module else node.module)
    return names


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in ("ingest", "dashboard"):
        for path in sorted((REPO / package).rglob("*.py")):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            found.append((name, path))
    return found


def test_every_module_has_a_layer():
    assert all(layer(name) for name, _ in modules())
    assert {layer(name) for name, _ in modules()} == set(ALLOWED) | {TOP}


@pytest.mark.parametrize("name,path", modules(), ids=[n for n, _ in modules()])
def test_no_import_goes_up_a_layer(name: str, path: Path):
    own = layer(name)
    if own == TOP:
        return
    wrong = [target for target in imports(path)
             if (other := layer(target)) and other != own and other not in ALLOWED[own]
             and not (target == "dashboard" and own.startswith("dashboard"))]
    assert not wrong, f"{name} ({own}) imports {wrong}: see docs/architecture.md"


@pytest.mark.parametrize("name,path", [(n, p) for n, p in modules()
                                       if layer(n) in ("dashboard.data", "dashboard.plain", "dashboard.alerts")
                                       or layer(n).startswith("ingest")])
def test_plain_modules_do_not_import_streamlit(name: str, path: Path):
    assert not [t for t in imports(path) if t.split(".")[0] == "streamlit"], name


def test_subpackage_inits_hold_a_docstring_and_no_logic():
    for init in sorted((REPO / "ingest").rglob("__init__.py")) + sorted((REPO / "dashboard").rglob("__init__.py")):
        if init.parent == REPO / "ingest":
            continue  # the package's own init sets pyarrow's allocator before any import (ingest/memory.py)
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), init
        assert len(tree.body) == 1, f"{init.relative_to(REPO)} holds more than its docstring"
