"""Where the shared peer test data lives, and how its DMARC `vectors.yml` files are read.

The data is in `shared/testdata/peers/` beside the repository (see its SOURCES.md):
the checkout may be /work/main or any worktree, so the folder is found by walking
up from this file. Every reader returns plain data; the tests decide what to run.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


def find_peers_dir() -> Path | None:
    """`shared/testdata/peers` next to any folder above this file, or None."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "testdata" / "peers"
        if candidate.is_dir():
            return candidate
    return None


PEERS = find_peers_dir()
MISSING = "shared/testdata/peers is not beside the repository (see the brief: it lives in /work/shared)"


@dataclass(frozen=True)
class DmarcCase:
    """One expectation: probe `domain` (spelled `arg`) against `zone`, compare `expect` with the report."""

    suite: str  # the folder: dmarcbis, checkdmarc, ...
    document: str  # the YAML document's id
    id: str
    domain: str
    arg: str
    zone: dict[str, dict[str, list]]
    expect: dict[str, Any]
    note: str = ""
    source: str = ""
    solo: bool = False


def zone_records(zone: dict[str, list[dict]] | None) -> dict[str, dict[str, list]]:
    """OpenSPF-style zone data ({name: [{TYPE: value}, ...]}) as ZoneServer records.

    A TXT value given as a list is one record of several character-strings.
    """
    records: dict[str, dict[str, list]] = {}
    for name, entries in (zone or {}).items():
        by_type = records.setdefault(name, {})
        for entry in entries:
            ((rdtype, value),) = entry.items()
            if rdtype == "TXT" and isinstance(value, list):
                value = tuple(value)
            by_type.setdefault(rdtype, []).append(value)
    return records


@functools.cache
def dmarc_cases() -> tuple[DmarcCase, ...]:
    """Every case of every `peers/dmarc/*/vectors.yml`, in file order."""
    if PEERS is None:
        return ()
    cases: list[DmarcCase] = []
    for path in sorted((PEERS / "dmarc").glob("*/vectors.yml")):
        with path.open(encoding="utf-8") as fh:
            documents = [doc for doc in yaml.safe_load_all(fh) if doc]
        for doc in documents:
            zone = zone_records(doc.get("zone"))
            for case in doc["cases"]:
                cases.append(
                    DmarcCase(
                        suite=path.parent.name,
                        document=doc["id"],
                        id=case.get("name") or f"{doc['id']}/{case['domain']}",
                        domain=case["domain"],
                        arg=case.get("arg", case["domain"]),
                        zone=zone,
                        expect=case["expect"],
                        note=case.get("note", ""),
                        source=doc.get("source", ""),
                        solo=bool(doc.get("solo")),
                    )
                )
    return tuple(cases)


_PSL_LINE = re.compile(r"^checkPublicSuffix\((null|'[^']*'), (null|'[^']*')\);$")


@functools.cache
def psl_cases() -> tuple[tuple[str | None, str | None], ...]:
    """(input, expected registrable domain) of each active line of publicsuffix/test_psl.txt."""
    if PEERS is None:
        return ()
    text = (PEERS / "dmarc" / "publicsuffix" / "test_psl.txt").read_text(encoding="utf-8")
    cases = []
    for line in text.splitlines():
        match = _PSL_LINE.match(line.strip())
        if match:  # commented-out lines (//checkPublicSuffix...) are not cases of the file either
            cases.append(tuple(None if item == "null" else item.strip("'") for item in match.groups()))
    return tuple(cases)
