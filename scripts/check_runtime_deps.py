"""Does requirements.txt alone carry the product? Three looks, each naming what is missing.

scripts/check_runtime_deps.sh runs this inside a throw-away venv made from
requirements.txt and nothing else (no lock, no dev packages), then runs
`manage.py check` there. Production installs the lock made from that file, so a
package the product needs but only a dev tool brings along (idna came through
checkdmarc) is found here, not on the day of a deploy.

1. Every third-party module the product code imports (tracker/, customers/,
   manage.py, scripts/*.py), at the top or inside a function, can be found: the
   walk below never runs a function, so a lazy import is only seen this way.
2. Every module of the packages tracker and customers imports, migrations too,
   with Django set up on the settings module that manage.py names.
3. What the settings name only by string loads: the database backend for
   DATABASE_URL, the cache for CACHE_URL, the broker transport, and the
   commands scripts/run.sh starts from the venv (supervisord's programs included).

Exit status 1 when anything is missing; every finding says which module and
which package.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import json
import os
import pkgutil
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tracker", "customers")
FIRST_PARTY = {*PACKAGES, "manage", "scripts", "tests"}

# Imports of dev-only packages that product code makes on purpose, each with why it is fine.
DEV_ONLY_IMPORTS: dict[tuple[str, str], str] = {}


def product_files() -> list[Path]:
    files = [ROOT / "manage.py", *sorted((ROOT / "scripts").glob("*.py"))]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def third_party_imports(path: Path) -> list[tuple[str, int]]:
    """(top-level module, line) of each absolute import that is neither stdlib nor ours."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.partition(".")[0]
            if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                found.append((top, node.lineno))
    return found


class Findings:
    """What is missing, said in terms of the package to add to requirements.txt."""

    def __init__(self, dist_map: dict[str, list[str]]):
        self.dist_map = dist_map
        self.lines: list[str] = []

    def package_for(self, module: str) -> str:
        top = module.partition(".")[0]
        dists = self.dist_map.get(top)
        return " or ".join(dists) if dists else f"the distribution that provides '{top}'"

    def missing_module(self, where: str, module: str) -> None:
        self.lines.append(
            f"{where}: No module named '{module}': add {self.package_for(module)} to requirements.txt"
        )

    def failed(self, where: str, exc: BaseException) -> None:
        missing = missing_modules_behind(exc)
        if isinstance(exc, ModuleNotFoundError) and exc.name:
            self.missing_module(where, exc.name)
        elif missing:  # e.g. Django's "Error loading psycopg2 or psycopg module"
            known = [self.package_for(name) for name in missing if name.partition(".")[0] in self.dist_map]
            add = " or ".join(known) if known else self.package_for(missing[0])
            names = ", ".join(f"'{name}'" for name in missing)
            self.lines.append(
                f"{where}: {type(exc).__name__}: {exc} (no module {names}): add {add} to requirements.txt"
            )
        else:
            self.lines.append(f"{where}: {type(exc).__name__}: {exc}")


def missing_modules_behind(exc: BaseException | None) -> list[str]:
    """The modules whose absence an error was raised from, following its chain of causes."""
    names: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ModuleNotFoundError) and exc.name and exc.name not in names:
            names.append(exc.name)
        exc = exc.__cause__ or exc.__context__
    return names


def check_static_imports(findings: Findings) -> None:
    for path in product_files():
        relative = path.relative_to(ROOT).as_posix()
        for top, line in third_party_imports(path):
            if (relative, top) in DEV_ONLY_IMPORTS or importlib.util.find_spec(top) is not None:
                continue
            findings.missing_module(f"{relative}:{line}", top)


def settings_module_from_manage_py() -> str:
    """The DJANGO_SETTINGS_MODULE that manage.py sets, so this check follows it when it moves."""
    for node in ast.walk(ast.parse((ROOT / "manage.py").read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setdefault"
            and len(node.args) == 2
            and all(isinstance(arg, ast.Constant) for arg in node.args)
            and node.args[0].value == "DJANGO_SETTINGS_MODULE"
        ):
            return node.args[1].value
    raise SystemExit("manage.py sets no DJANGO_SETTINGS_MODULE: cannot set up Django")


def product_modules(package_name: str) -> list[str]:
    """Every module under the package; a subpackage that fails is listed, its children not."""
    package = importlib.import_module(package_name)
    names = [package_name]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}.", onerror=lambda name: None):
        names.append(info.name)
    return names


def check_module_imports(findings: Findings) -> int | None:
    """How many modules were imported; None when Django itself could not be set up."""
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module_from_manage_py()
    try:
        import django

        django.setup()
    except Exception as exc:  # nothing below can run without Django
        findings.failed(f"django.setup() ({os.environ['DJANGO_SETTINGS_MODULE']})", exc)
        return None
    count = 0
    for package_name in PACKAGES:
        try:
            names = product_modules(package_name)
        except Exception as exc:
            findings.failed(package_name, exc)
            continue
        for name in names:
            try:
                importlib.import_module(name)
                count += 1
            except Exception as exc:
                findings.failed(name, exc)
    return count


def check_named_backends(findings: Findings) -> None:
    """Load (never connect) what the settings name by string for the URLs in the environment."""
    import kombu
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connections

    backends = {
        f"database backend {settings.DATABASES['default']['ENGINE']}": lambda: connections["default"],
        # The Redis cache client imports redis when it is made; making it opens no connection.
        f"cache backend {settings.CACHES['default']['BACKEND']}": lambda: caches["default"]._cache,
        f"broker transport for {settings.CELERY_BROKER_URL}": lambda: (
            kombu.Connection(settings.CELERY_BROKER_URL).transport
        ),
    }
    for what, load in backends.items():
        try:
            load()
        except Exception as exc:
            findings.failed(what, exc)


def check_venv_commands(findings: Findings) -> None:
    """`.venv/bin/X` in scripts/run.sh (which also writes the supervisord programs): X must come with
    requirements.txt."""
    text = (ROOT / "scripts" / "run.sh").read_text()
    bin_dir = Path(sys.executable).parent
    # `.venv/bin/X`, and `$venv/X` in the supervisord programs run.sh writes.
    for command in sorted(set(re.findall(r"(?:\.venv/bin|\$venv)/([\w.-]+)", text))):
        if not (bin_dir / command).exists():
            findings.lines.append(
                f"scripts/run.sh: no command '{command}' in the venv: add its package to requirements.txt"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--dist-map", type=Path, help="JSON {module: [distribution]} from a full venv")
    args = parser.parse_args()
    dist_map = json.loads(args.dist_map.read_text()) if args.dist_map else {}
    sys.path.insert(0, str(ROOT))

    findings = Findings(dist_map)
    check_static_imports(findings)
    imported = check_module_imports(findings)
    if imported is not None:
        check_named_backends(findings)
    check_venv_commands(findings)

    if findings.lines:
        print("requirements.txt alone does not carry the product:", file=sys.stderr)
        for line in findings.lines:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"requirements.txt alone: {imported} product modules import, backends and commands load")
    return 0


if __name__ == "__main__":
    sys.exit(main())
