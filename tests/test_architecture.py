"""The tree keeps the shape docs/architecture.md describes: every import between packages is one the
importing package's docstring allows, no two modules import each other (directly or around a
loop, counting imports inside functions), no module is much over 400 lines, and every package
says what it owns and may import."""

import ast
import importlib
from pathlib import Path

import pytest

import kmc
from kmc._moved import MOVED

ROOT = Path(kmc.__file__).parent
#: package -> the packages it may import (besides itself, kmc.units and the kmc top level's
#: __version__). Mirrors the "May import" line of each package's docstring and docs/architecture.md.
ALLOWED = {
    "core": set(),
    "plugins": {"core", "units", "config", "barriers", "data"},
    "lattices": {"units"},
    "storage": set(),
    "model": {"core", "plugins", "lattices", "storage"},
    "config": {"model", "plugins"},
    "engine": {"config", "model", "storage", "plugins", "lattices"},
    "campaigns": {"engine", "config", "storage"},
    "analysis": {"storage", "data"},
    "paper": {"analysis", "storage", "config"},
    "calibration": {"campaigns", "config", "storage", "paper", "analysis"},
    "publish": {"paper", "calibration", "analysis", "config"},
    "barriers": {"config", "campaigns", "storage"},
    "cli": {"config", "model", "storage", "engine", "campaigns", "calibration", "analysis", "paper", "barriers",
            "plugins", "lattices", "io"},
    # public top-level modules
    "io": {"storage"},
    "testing": {"model", "plugins", "lattices"},
    "units": set(),
    "_moved": set(),
    "runs": set(),
    "data": set(),
}
MAX_LINES = 410


def modules() -> dict[str, Path]:
    """Dotted name -> file of every module of kmc, plug-ins and lattices included (in a source
    checkout they live in plugins/ and lattices/, installed under kmc/)."""
    out = {}
    roots = {(): ROOT} | {(sub,): Path(importlib.import_module(f"kmc.{sub}").__path__[0])
                          for sub in ("plugins", "lattices", "runs")}
    for prefix, root in roots.items():
        for f in sorted(root.rglob("*.py")):
            parts = prefix + f.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(("kmc",) + parts)] = f
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """kmc modules imported anywhere in the module (top level or inside functions)."""
    out = set()
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("kmc")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(pkg.split(".")[:len(pkg.split(".")) - node.level + 1] + ([base] if base else []))
            if not base.startswith("kmc"):
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.add(sub if sub in known else base)
    return {m for m in out if m in known and m != name}


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "kmc"


@pytest.fixture(scope="module")
def graph():
    mods = modules()
    return {m: imports(m, p, set(mods)) for m, p in mods.items()}


def forbidden_imports(graph) -> list[str]:
    bad = []
    for mod, deps in graph.items():
        src = package(mod)
        if src == "kmc" or mod == "kmc._moved":
            continue
        for dep in deps:
            dst = package(dep)
            if dst not in (src, "kmc", "units") and dst not in ALLOWED[src]:
                bad.append(f"{mod} imports {dep} ({src} may import {sorted(ALLOWED[src])})")
    return bad


def import_cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan); a package's __init__
    re-exporting its own modules does not count."""
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            real = [m for m in comp if not (ROOT / Path(*m.split(".")[1:]) / "__init__.py").exists()]
            if len(real) > 1:
                cycles.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return cycles


def test_every_import_between_packages_is_allowed(graph):
    bad = forbidden_imports(graph)
    assert not bad, "\n".join(bad)


def test_no_import_cycles_between_modules(graph):
    assert not import_cycles(graph)


def test_the_checks_find_a_cycle_and_an_upward_import():
    fake = {"kmc.storage.a": {"kmc.engine.b"}, "kmc.engine.b": {"kmc.storage.a", "kmc.cli.c"}, "kmc.cli.c": set()}
    assert import_cycles(fake) == [["kmc.engine.b", "kmc.storage.a"]]
    assert len(forbidden_imports(fake)) == 2  # storage -> engine, engine -> cli


def test_no_module_is_much_over_400_lines():
    long = {m: n for m, p in modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_every_package_says_what_it_owns_and_may_import():
    for name in sorted({m.split(".")[1] for m in modules() if m.count(".") >= 1} - {"runs", "data"}):
        if not (ROOT / name / "__init__.py").exists() and name not in ("plugins", "lattices"):
            continue  # a top-level module, not a package
        doc = importlib.import_module(f"kmc.{name}").__doc__ or ""
        assert len(doc.split()) >= 15, f"kmc.{name} has no real docstring"
        assert name in ALLOWED, f"kmc.{name} is missing from ALLOWED and docs/architecture.md"
    for name, allowed in ALLOWED.items():
        mod = modules().get(f"kmc.{name}")
        text = mod.read_text() if mod is not None and mod.name == "__init__.py" else ""
        assert "May import" in text or name in ("io", "testing", "units", "_moved", "runs", "data"), \
            f"kmc.{name}'s docstring does not say what it may import"
        if "May import" in text:
            text = text.split("May import", 1)[1].split("\n\n")[0]
            if "every other package" in text:
                continue
            for dep in allowed - {"units"}:
                assert f"kmc.{dep}" in text, f"kmc.{name}'s docstring does not say it may import kmc.{dep}"


def test_old_module_paths_still_import_with_a_warning():
    with pytest.warns(DeprecationWarning, match="kmc.storage.store"):
        old = importlib.import_module("kmc.store")
    from kmc.storage.store import RunStore
    assert old.RunStore is RunStore


def test_every_kmc_name_in_the_docs_imports():
    """Module and attribute paths quoted in README.md and docs/*.md exist (without deprecated aliases)."""
    import re
    import warnings

    repo = Path(__file__).resolve().parents[1]
    missing = set()
    for doc in [repo / "README.md", *sorted((repo / "docs").glob("*.md"))]:
        for name in re.findall(r"(?<![\w/.-])(kmc(?:\.[A-Za-z_]\w*)+)", doc.read_text()):
            if name.endswith("_") or name in MOVED:
                continue  # a prefix such as kmc.testing.check_*, or an old path named as such
            parts, obj = name.split("."), None
            for k in range(len(parts), 0, -1):
                with warnings.catch_warnings():
                    warnings.simplefilter("error", DeprecationWarning)
                    try:
                        obj = importlib.import_module(".".join(parts[:k]))
                        break
                    except (ImportError, DeprecationWarning):
                        continue
            for attr in parts[k:]:
                obj = getattr(obj, attr, None)
            if obj is None:
                missing.add(f"{doc.name}: {name}")
    assert not missing, sorted(missing)
