"""The layering of ``shared/DESIGN.md``: experiments and the CLI use everything; searchers
use surrogates, encodings and spaces; nothing below imports analysis or experiments.

Every import is read from the source (module level and inside functions alike), so a
function-level import cannot hide an arrow pointing up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nas_surrogate"
TOP = ("nas_surrogate.experiments", "nas_surrogate.analysis", "nas_surrogate.cli")
#: the package itself is the API facade: it re-exports every layer (lazily)
FACADE = "nas_surrogate"
#: packages a searcher uses, which must not use searchers (or what drives them) back
BELOW_SEARCHERS = ("surrogates", "encodings", "spaces", "benchmarks")
DRIVERS = ("nas_surrogate.searchers", "nas_surrogate.optimizer", "nas_surrogate.optuna")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in out if m.startswith("nas_surrogate")}


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[_module(p) for p in MODULES])
def test_no_module_imports_a_layer_above_its_own(path):
    name = _module(path)
    imported = _imports(path)
    if not name.startswith(TOP) and name != FACADE:
        up = sorted(m for m in imported if m.startswith(TOP))
        assert not up, f"{name} imports {up}"
    if name.count(".") and name.split(".")[1] in BELOW_SEARCHERS:
        up = sorted(m for m in imported if m.startswith(DRIVERS))
        assert not up, f"{name} imports {up}"


def _runtime_imports(path: Path, modules: set[str]) -> set[str]:
    """Modules of the package ``path`` imports when it runs (module level or inside a
    function; not under ``if TYPE_CHECKING:``). ``from PKG import SUB`` names SUB."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
        for n in ast.walk(node)
    }
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                target = sub if sub in modules else node.module
                if target in modules:
                    out.add(target)
    return out


def test_no_import_cycle():
    """No module imports one that imports it back, even through others or from inside a
    function (the shared helpers live below both instead)."""
    names = {_module(p): p for p in MODULES}
    graph = {m: _runtime_imports(p, set(names)) - {m} for m, p in names.items()}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for nxt in sorted(graph[module]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_no_function_is_longer_than_60_lines():
    """Long functions were where the next contributor lost the thread: each one does one
    named step (docstring and signature included in the count)."""
    long = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > 60:
                    long.append(f"{_module(path)}.{node.name}: {lines} lines")
    assert not long, "\n".join(long)


def test_renamed_configs_still_import_with_a_deprecation_warning():
    """The commands' configs were ``*Settings`` and the inner tune/GP configs took the
    names ``TuneConfig``/``EvolveConfig``: old imports keep working for a release, each
    with a warning naming the new class."""
    import importlib

    renamed = {
        ("nas_surrogate.experiments.tune", "TuneConfig"): "SurrogateTuneConfig",
        ("nas_surrogate.analysis.evolve", "EvolveConfig"): "GPConfig",
        ("nas_surrogate.experiments.tune_config", "TuneSettings"): "TuneConfig",
        ("nas_surrogate.experiments.analyze", "AnalyzeSettings"): "AnalyzeConfig",
        ("nas_surrogate.experiments.analyze", "EvolveSettings"): "EvolveConfig",
        ("nas_surrogate.proxies.compute", "ComputeSettings"): "ComputeConfig",
    }
    for (module, old), new in renamed.items():
        mod = importlib.import_module(module)
        with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated: use .*\.{new}$"):
            cls = getattr(mod, old)
        assert cls is getattr(mod, new, None) or cls.__name__ == new
        with pytest.raises(AttributeError):
            getattr(mod, old + "X")
