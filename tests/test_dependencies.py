"""The lock files agree with the requirement files they are made from (`make lock`).

Production installs requirements.lock and `make test` requirements-dev.lock: a
package added to a .txt file but never locked would pass the tests and be
missing in production. (That the .txt files name every package the product
imports is scripts/check_runtime_deps.sh's job.)
"""

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PAIRS = [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")]


def declared(name: str) -> list[Requirement]:
    """The requirements of a .txt file, following `-r` includes."""
    requirements = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.partition("#")[0].strip()
        if line.startswith("-r "):
            requirements += declared(line.removeprefix("-r ").strip())
        elif line:
            requirements.append(Requirement(line))
    return requirements


def pins(name: str) -> dict[str, tuple[str, int]]:
    """Canonical name -> (version, number of hashes) of each `name==version` entry of a lock."""
    entries: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            requirement = Requirement(line.rstrip(" \\"))
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", line
            current = canonicalize_name(requirement.name)
            entries[current] = (specifier.version, 0)
        elif "--hash=sha256:" in line and current:
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
    return entries


@pytest.mark.parametrize(("txt", "lock"), PAIRS)
def test_every_declared_package_is_locked_within_its_specifier(txt, lock):
    locked = pins(lock)
    problems = []
    for requirement in declared(txt):
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{requirement.name} is not in {lock}")
        elif not requirement.specifier.contains(locked[name][0], prereleases=True):
            problems.append(f"{lock} pins {name}=={locked[name][0]}, {txt} asks {requirement}")
    assert not problems, f"run `make lock`: {problems}"


@pytest.mark.parametrize("lock", [lock for _, lock in PAIRS])
def test_every_pin_carries_a_hash(lock):
    locked = pins(lock)
    assert locked, f"{lock} pins nothing"
    assert [name for name, (_, hashes) in locked.items() if hashes == 0] == []


def test_dev_lock_has_the_runtime_lock_versions():
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    differing = {name: (version, dev.get(name, (None,))[0]) for name, (version, _) in runtime.items()}
    assert {name: pair for name, pair in differing.items() if pair[0] != pair[1]} == {}
