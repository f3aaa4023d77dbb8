"""The layering in docs/ARCHITECTURE.md, checked on the source text.

Every module is parsed with ``ast``; nothing under test is imported, so a broken or slow
module cannot hide a bad import. Imports inside functions count like top-level ones: Python
runs them too, and a cycle that only closes at call time is still a cycle.
"""
from __future__ import annotations

import ast
import itertools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gan_core", "ui")
MAX_LINES = 400  # hard limit for gan_core/, ui/, pages/; docs/ARCHITECTURE.md asks for ~300
# Lower layers never import higher ones: pages -> ui -> gan_core.
LAYER = {"gan_core": 0, "ui": 1, "pages": 2, "streamlit_app": 3}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files() -> dict[str, Path]:
    """Module name -> file for gan_core.*, ui.*, pages.* and streamlit_app."""
    files = {"streamlit_app": ROOT / "streamlit_app.py"}
    for top in (*PACKAGES, "pages"):
        for path in sorted((ROOT / top).rglob("*.py")):
            files[module_name(path)] = path
    return files


def imported_names(path: Path, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """Every module the file at ``path`` imports, anywhere in it, as (dotted name, line)."""
    text = path.read_text(encoding="utf-8")
    return imports_in(text, module_name(path), path.name == "__init__.py", modules)


def imports_in(text: str, here: str, is_package: bool, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """The modules a source text imports, as (dotted name, line).

    ``from pkg import x`` names ``pkg.x`` when x is a submodule of pkg, else ``pkg``; relative
    imports are resolved against the module's own package. Names outside the project are kept as
    written (``streamlit.runtime``), so the same list serves the third-party checks."""
    package = here if is_package else here.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}" if base else alias.name
                found.append((sub if sub in modules or not base else base, node.lineno))
    return found


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The project module a dotted name refers to (longest known prefix), or None."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in modules:
            return candidate
    return None


def import_graph() -> tuple[dict[str, dict[str, int]], dict[str, Path]]:
    """Project module -> {imported project module: first line}."""
    modules = project_files()
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges = graph.setdefault(name, {})
        for target, line in imported_names(path, modules):
            owner = _owner(target, modules)
            if owner is not None and owner != name:
                edges.setdefault(owner, line)
    return graph, modules


def _layer(name: str) -> int:
    return LAYER[name.split(".")[0]]


def against_the_layers(graph: dict[str, dict[str, int]]) -> list[tuple[str, str, int]]:
    """(importer, imported, line) for every import of a higher layer from a lower one."""
    return [(src, dst, line) for src, edges in sorted(graph.items()) for dst, line in edges.items()
            if _layer(dst) > _layer(src)]


def test_layer_check_sees_a_wrong_import():
    graph = {"gan_core.a": {"ui.i18n": 3, "gan_core.b": 4}, "ui.i18n": {"pages.lab": 7},
             "pages.lab": {"ui.i18n": 1, "gan_core.a": 2}, "streamlit_app": {"ui.i18n": 5}}
    assert against_the_layers(graph) == [("gan_core.a", "ui.i18n", 3), ("ui.i18n", "pages.lab", 7)]


def test_imports_point_down_the_layers():
    """gan_core never imports ui or pages; ui never imports pages (nor the entry script)."""
    graph, modules = import_graph()
    wrong = [f"{modules[src].relative_to(ROOT)}:{line} imports {dst}"
             for src, dst, line in against_the_layers(graph)]
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_gan_core_never_imports_streamlit():
    modules = project_files()
    hits = [f"{path.relative_to(ROOT)}:{line} imports {name}"
            for mod, path in modules.items() if mod.split(".")[0] == "gan_core"
            for name, line in imported_names(path, modules) if name.split(".")[0] == "streamlit"]
    assert not hits, "streamlit in gan_core:\n" + "\n".join(hits)


def import_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(cycles)


def shortest_loop(graph: dict[str, dict[str, int]], component: list[str]) -> list[str]:
    """One shortest import loop through the component's first module: [a, b, ..., a]."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w == start:
                    return paths[v] + [start]
                if w in members and w not in paths:
                    paths[w] = paths[v] + [w]
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"{component} is not a cycle")


def test_import_cycle_finder_sees_a_cycle():
    """The finder itself: a three-module loop and a pair are found, a chain is not."""
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"e": 1}, "e": {"d": 1}, "f": {"a": 1}}
    assert import_cycles(graph) == [["a", "b", "c"], ["d", "e"]]
    assert shortest_loop(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert import_cycles({"a": {"b": 1}, "b": {}}) == []


def test_no_import_cycles():
    graph, modules = import_graph()
    detail = []
    for cycle in import_cycles(graph):
        loop = shortest_loop(graph, cycle)
        steps = ", ".join(f"{modules[a].relative_to(ROOT)}:{graph[a][b]} imports {b}"
                          for a, b in itertools.pairwise(loop))
        detail.append(f"{' <-> '.join(cycle)} (e.g. {steps})")
    assert not detail, "import cycles among:\n" + "\n".join(detail)


def test_imports_are_resolved_like_python():
    """Relative imports and ``from package import submodule`` land on the submodule; a name
    that is not a submodule lands on its module; imports inside functions count."""
    modules = project_files()
    text = ("from . import config\nfrom .config import TrainConfig\nfrom gan_core import config\n"
            "from gan_core import ENGINE_VERSION\nfrom .. import ui\n"
            "def later():\n    import ui.i18n\n    from streamlit import session_state\n")
    names = [name for name, _ in imports_in(text, "gan_core.probe", False, modules)]
    assert names == ["gan_core.config"] * 3 + ["gan_core", "ui", "ui.i18n", "streamlit"]
    assert [n for n, _ in imports_in("from . import i18n", "ui", True, modules)] == ["ui.i18n"]


def test_tests_never_import_bench():
    """bench/ prints measurements; tests keep their own helpers under tests/."""
    bench_stems = {p.stem for p in (ROOT / "bench").glob("*.py")}
    hits = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            names = [n for n in names if n.split(".")[0] == "bench" or n in bench_stems]
            hits += [f"{path.relative_to(ROOT)}:{node.lineno} imports {n}" for n in names]
    assert not hits, "tests importing bench/:\n" + "\n".join(hits)


def test_modules_stay_short():
    long_files = []
    for top in ("gan_core", "ui", "pages"):
        for path in sorted((ROOT / top).rglob("*.py")):
            n = len(path.read_text(encoding="utf-8").splitlines())
            if n > MAX_LINES:
                long_files.append(f"{path.relative_to(ROOT)}: {n} lines")
    assert not long_files, f"over {MAX_LINES} lines:\n" + "\n".join(long_files)


def test_every_module_is_in_the_architecture_notes():
    """docs/ARCHITECTURE.md has one line per module of gan_core/, ui/ and pages/, in the section
    of its folder: a new module is described where a reader looks for it."""
    notes = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = []
    for top in ("gan_core", "ui", "pages"):
        section = notes.split(f"\n## {top}/", 1)[1].split("\n## ", 1)[0]
        listed = {line.split()[0] for line in section.splitlines() if line.strip()}
        missing += [str(p.relative_to(ROOT)) for p in sorted((ROOT / top).rglob("*.py"))
                    if p.name not in listed]
    assert not missing, "not in docs/ARCHITECTURE.md:\n" + "\n".join(missing)


def test_engine_notes_list_modules_bottom_up():
    """The gan_core/ list in docs/ARCHITECTURE.md is bottom-up: each module imports only
    modules listed above it (a nested package's files are indented under its folder)."""
    notes = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = notes.split("\n## gan_core/", 1)[1].split("```")[1]
    order, package = [], "gan_core"
    for line in block.splitlines():
        name = line.split()[0] if line.strip() else ""
        if name.endswith("/"):
            package = f"gan_core.{name[:-1]}"
        elif name.endswith(".py"):
            parent = package if line.startswith(" ") else "gan_core"
            order.append(parent if name == "__init__.py" else f"{parent}.{name[:-3]}")
    position = {name: i for i, name in enumerate(order)}
    graph, _ = import_graph()
    wrong = [f"{src} imports {dst}, listed below it" for src in order for dst in graph.get(src, {})
             if dst in position and position[dst] > position[src]]
    assert not wrong, "\n".join(wrong)
