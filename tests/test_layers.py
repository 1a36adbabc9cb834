"""The layers point one way, read from the imports themselves (docs/architecture.md).

Every `import` of the product code is read with `ast` (module level, inside
functions, under `if TYPE_CHECKING`) and held against the layer table below:
a module may import its own layer and the layers under it, never one above.
On top: no import cycle between modules, the engine imports neither Django nor
Celery, and no function-level import of a project module unless its line says
`lazy:` and why. The checker runs on a small invented tree too, to show that
each rule fails when broken.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tracker", "customers")

# (module prefix, layer): a module may import its own layer and lower ones.
# The longest matching prefix wins. Lower numbers are further down.
LAYERS: list[tuple[str, int]] = [
    ("tracker.probe", 0),  # the engine: pure Python
    ("tracker.common", 0),  # helpers both apps use
    ("customers", 1),  # customers, domains, status workflow, import/export
    ("tracker.choices", 2),
    ("tracker.models", 2),
    ("tracker.migrations", 2),
    ("tracker.queries", 3),  # what pages and mails read
    ("tracker.services", 4),  # every state change (may read queries)
    ("tracker.forms", 5),  # the UI's parts
    ("tracker.filters", 5),
    ("tracker.tables", 5),
    ("tracker.templatetags", 5),
    ("tracker.views", 6),
    ("tracker.api", 6),  # the REST API: views of their own kind
    ("tracker.tasks", 7),  # entry points: Celery, the admin, commands
    ("tracker.admin", 7),
    ("tracker.management", 7),
    ("tracker.urls", 8),
    ("tracker.apps", 9),  # Django's wiring
    ("tracker.project", 9),
]
# `customers` sits under the tracker: of it, only these may be imported.
CUSTOMERS_MAY_IMPORT = ("tracker.probe.domains", "tracker.common")
# Settings are read by Django before any app: they import nothing of the apps.
SETTINGS_MAY_IMPORT = ("tracker.project.env",)
ENGINE_FORBIDDEN = ("django", "celery", "kombu")


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    imported: str  # dotted module name (or package)
    line: int
    in_function: bool
    marked_lazy: bool


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def read_imports(path: Path, root: Path) -> list[Import]:
    """Every import statement of one file, with the absolute module it names."""
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    me = module_name(path, root)
    package = me if _is_package(path) else me.rpartition(".")[0]
    found: list[Import] = []

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from tracker.services import sweeps` imports tracker.services.sweeps
                names = [
                    f"{base}.{alias.name}"
                    for alias in child.names
                    if _is_module(root, f"{base}.{alias.name}")
                ]
                names = names or [base]
            for name in names:
                line = lines[child.lineno - 1]
                found.append(Import(me, name, child.lineno, in_function, "lazy:" in line))
            visit(child, nested)

    visit(tree, False)
    return found


def _is_module(root: Path, dotted: str) -> bool:
    path = root.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def project_imports(root: Path) -> list[Import]:
    imports: list[Import] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            imports.extend(read_imports(path, root))
    return imports


def _is_project(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_of(name: str) -> int | None:
    matches = [(len(prefix), layer) for prefix, layer in LAYERS if _under(name, prefix)]
    return max(matches)[1] if matches else None


def layer_violations(imports: list[Import]) -> list[str]:
    problems = []
    for imp in imports:
        if not _is_project(imp.imported):
            continue
        where = f"{imp.importer}:{imp.line} imports {imp.imported}"
        if _under(imp.importer, "tracker.project.settings") or _under(imp.importer, "tracker.project.env"):
            if not any(_under(imp.imported, allowed) for allowed in SETTINGS_MAY_IMPORT):
                problems.append(f"{where}: settings import nothing of the apps")
            continue
        if _under(imp.importer, "customers"):
            if not _under(imp.imported, "customers") and not any(
                _under(imp.imported, allowed) for allowed in CUSTOMERS_MAY_IMPORT
            ):
                problems.append(f"{where}: customers may import only {', '.join(CUSTOMERS_MAY_IMPORT)}")
            continue
        mine, theirs = layer_of(imp.importer), layer_of(imp.imported)
        if mine is None:
            problems.append(f"{imp.importer}: in no layer (add it to LAYERS)")
        elif theirs is None:
            problems.append(f"{where}: {imp.imported} is in no layer (add it to LAYERS)")
        elif theirs > mine:
            problems.append(f"{where}: an upward import (layer {mine} -> {theirs})")
    return sorted(set(problems))


def engine_violations(imports: list[Import]) -> list[str]:
    return [
        f"{imp.importer}:{imp.line} imports {imp.imported}: the engine imports no Django or Celery"
        for imp in imports
        if _under(imp.importer, "tracker.probe")
        and (
            imp.imported.split(".")[0] in ENGINE_FORBIDDEN
            or (_is_project(imp.imported) and not _under(imp.imported, "tracker.probe"))
        )
    ]


def lazy_violations(imports: list[Import]) -> list[str]:
    return [
        f"{imp.importer}:{imp.line} imports {imp.imported} inside a function without a `lazy:` reason"
        for imp in imports
        if imp.in_function and _is_project(imp.imported) and not imp.marked_lazy
    ]


def _resolve(name: str, modules: set[str]) -> str | None:
    """The module of ours an imported name is (`tracker.models.Campaign` -> `tracker.models`)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_cycles(imports: list[Import]) -> list[list[str]]:
    """Cycles between modules (a package's __init__ and its modules count as different modules)."""
    modules = {imp.importer for imp in imports}
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for imp in imports:
        target = _resolve(imp.imported, modules)
        # A module importing its own package's __init__ is Python's normal start-up, not a cycle.
        if target and target != imp.importer and not _under(imp.importer, target):
            graph[imp.importer].add(target)
    cycles, state, stack = [], {}, []

    def walk(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            walk(node)
    return cycles


# -- the product --------------------------------------------------------------------------------

IMPORTS = project_imports(ROOT)


def test_every_import_points_down_a_layer():
    assert layer_violations(IMPORTS) == []


def test_the_engine_imports_nothing_of_django_or_celery():
    assert engine_violations(IMPORTS) == []


def test_there_is_no_import_cycle():
    assert import_cycles(IMPORTS) == []


def test_function_level_imports_of_project_modules_say_why():
    assert lazy_violations(IMPORTS) == []


def test_the_checker_reads_the_whole_product():
    importers = {imp.importer for imp in IMPORTS}
    assert {
        "tracker.probe.engine",
        "tracker.services.sweeps",
        "tracker.views.customers",
        "customers.models",
    } <= importers
    assert len(importers) >= 90


# -- the checker on an invented tree: each rule fails when broken --------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> list[Import]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    return project_imports(tmp_path)


def test_an_upward_import_is_caught(tmp_path):
    imports = _tree(
        tmp_path,
        {
            "tracker/models/__init__.py": "from tracker.views import pages\n",
            "tracker/views/__init__.py": "",
            "tracker/views/pages.py": "",
        },
    )
    assert layer_violations(imports) == [
        "tracker.models:1 imports tracker.views.pages: an upward import (layer 2 -> 6)"
    ]


def test_customers_importing_the_tracker_is_caught(tmp_path):
    imports = _tree(
        tmp_path,
        {
            "customers/views.py": "from tracker.queries.dashboards import figures\nfrom tracker.probe.domains import x\n",
            "tracker/queries/dashboards.py": "",
            "tracker/probe/domains.py": "",
        },
    )
    (problem,) = layer_violations(imports)
    assert problem.startswith("customers.views:1 imports tracker.queries.dashboards")


def test_django_in_the_engine_is_caught(tmp_path):
    imports = _tree(tmp_path, {"tracker/probe/mx.py": "import asyncio\nfrom django.conf import settings\n"})
    assert engine_violations(imports) == [
        "tracker.probe.mx:2 imports django.conf: the engine imports no Django or Celery"
    ]


def test_a_cycle_hidden_in_a_function_is_caught(tmp_path):
    imports = _tree(
        tmp_path,
        {
            "tracker/services/sweeps.py": "def run():\n    from tracker.services import jobs  # lazy: test\n",
            "tracker/services/jobs.py": "from tracker.services.sweeps import run\n",
        },
    )
    assert import_cycles(imports) == [
        ["tracker.services.jobs", "tracker.services.sweeps", "tracker.services.jobs"]
    ]


def test_an_unexplained_function_level_import_is_caught(tmp_path):
    imports = _tree(
        tmp_path,
        {
            "tracker/views/pages.py": "def page():\n    from tracker.models import Campaign\n",
            "tracker/models.py": "",
        },
    )
    assert lazy_violations(imports) == [
        "tracker.views.pages:2 imports tracker.models inside a function without a `lazy:` reason"
    ]
