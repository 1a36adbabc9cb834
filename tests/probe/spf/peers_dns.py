"""Reading the SPF test suites of shared/testdata into zones for the test DNS server.

Two formats (shared/testdata/peers/SOURCES.md says how each is to be read):
- OpenSPF YAML (RFC 7208/4408 suites, pyspf, blitiri, Mail-SPF-Iterator): one zone
  per document, SPF copied to TXT when a name has no TXT, `TXT: NONE`, `TIMEOUT`
  (types without records time out), blitiri's `TIMEOUT: true` / `SERVFAIL: true`
  (every type of that name fails) and `CNAMELOOP: true` (the name is a CNAME to itself).
- stalwart mail-auth: line-oriented, records accumulating per file, one case per
  `expect:` line, checked HELO first and then MAIL FROM as mail-auth's verify_spf does.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

SERVED_TYPES = ("TXT", "SPF", "A", "AAAA", "MX", "PTR", "CNAME")
Fault = tuple[str, str, str | None]  # (name, fault, rdtype or None for every type)


def find_testdata() -> Path | None:
    """shared/testdata beside the repository (or any folder above it), wherever the checkout lives."""
    repo = Path(__file__).resolve().parents[3]
    for folder in (repo, *repo.parents):
        candidate = folder / "shared" / "testdata"
        if candidate.is_dir():
            return candidate
    return None


def shared_testdata_path(*parts: str) -> Path:
    """The path under shared/testdata; skipped when absent locally, an error in CI (which has it)."""
    root = find_testdata()
    path = root.joinpath(*parts) if root is not None else None
    if path is None or not path.exists():
        message = f"shared/testdata/{'/'.join(parts)} not found next to the repository"
        if os.environ.get("CI"):
            raise FileNotFoundError(message)
        pytest.skip(message, allow_module_level=True)
    return path


# -- OpenSPF format ---------------------------------------------------------------------------


def openspf_zone(zonedata: dict | None) -> tuple[dict, list[Fault]]:
    """The server's records dict and the faults the suite's conventions ask for."""
    records: dict[str, dict[str, list]] = {}
    faults: list[Fault] = []
    for raw_name, entries in (zonedata or {}).items():
        name = raw_name.replace(" ", "\\ ")
        by_type: dict[str, list] = {}
        no_txt = timeout = False
        for entry in entries or []:
            if entry == "TIMEOUT":
                timeout = True
                continue
            ((rdtype, value),) = entry.items()
            if rdtype in ("TIMEOUT", "SERVFAIL") and value is True:
                faults.append((name, rdtype.lower(), None))
                continue
            if rdtype == "CNAMELOOP" and value is True:
                by_type["CNAME"] = [name + "."]
                continue
            if rdtype == "TXT" and value == "NONE":
                no_txt = True
                continue
            if rdtype in ("TXT", "SPF"):
                value = tuple(value) if isinstance(value, list) else value
                if value == ():
                    value = ("",)  # "null text": an RR with no strings cannot go on the wire
            elif rdtype == "MX":
                value = (int(value[0]), value[1] or ".")
            elif rdtype == "CNAME":
                value = value or "."  # pyspf's "null CNAME": a CNAME to the root
            by_type.setdefault(rdtype, []).append(value)
        if "SPF" in by_type and "TXT" not in by_type and not no_txt:
            by_type["TXT"] = list(by_type["SPF"])
        if by_type:
            records[name] = by_type
        if timeout:
            faults.extend((name, "timeout", rdtype) for rdtype in SERVED_TYPES if rdtype not in by_type)
    return records, faults


@dataclass(frozen=True)
class OpenSpfCase:
    """One test of an OpenSPF-format file: a single check_host() call."""

    key: str  # "<suite>:<test id>", unique across suites
    zonedata: dict = field(compare=False, repr=False)
    host: str = ""
    mailfrom: str = ""
    helo: str | None = None
    expected: tuple[str, ...] = ()
    explanation: str | None = None


def load_openspf(path: Path, suite: str, skip: frozenset[str] = frozenset()) -> list[OpenSpfCase]:
    """Every test of the file except those named in `skip` (not RFC behaviour at all: see the caller)."""
    with path.open(encoding="utf-8") as fh:
        scenarios = [doc for doc in yaml.safe_load_all(fh) if doc]
    cases = []
    seen: dict[str, int] = {}
    for scenario in scenarios:
        for case_id, case in scenario["tests"].items():
            if case_id in skip:
                continue
            seen[case_id] = seen.get(case_id, 0) + 1  # blitiri repeats test1/test2 across scenarios
            key = f"{suite}:{case_id}" if seen[case_id] == 1 else f"{suite}:{case_id}#{seen[case_id]}"
            result = case["result"]
            cases.append(
                OpenSpfCase(
                    key=key,
                    zonedata=scenario.get("zonedata") or {},
                    host=str(case["host"]),
                    mailfrom=case.get("mailfrom") or "",
                    helo=case.get("helo"),
                    expected=tuple(result if isinstance(result, list) else [result]),
                    explanation=case.get("explanation"),
                )
            )
    return cases


# -- stalwart mail-auth format ----------------------------------------------------------------


@dataclass(frozen=True)
class StalwartCase:
    """One `expect:` line: the records known at that point, HELO, sender and client IP."""

    key: str  # "stalwart-spf:<file>:<n>"
    name: str
    records: dict = field(compare=False, repr=False)
    faults: tuple[Fault, ...] = field(compare=False, repr=False)
    helo: str = ""
    sender: str = ""
    ip: str = "127.0.0.1"
    expected: str = ""
    explanation: str = ""


_PREFIXES = ("name:", "spf:", "exp:", "a:", "aaaa:", "ptr:", "mx:", "domain:", "sender:", "ip:", "expect:")
_DNS_ERROR = re.compile(r"[A-Za-z0-9_.-]*_dns_error\.[A-Za-z0-9_.-]*")


def _wire_safe(name: str) -> bool:
    """Names a zone can hold: labels of 1-63 bytes, 253 characters at most."""
    text = name.rstrip(".")
    return 0 < len(text) <= 253 and all(0 < len(label) <= 63 for label in text.split("."))


def _mx_host(ip: str, position: int) -> str:
    return f"mx.{ip.replace(':', '-')}.{position}"


def load_stalwart(path: Path) -> list[StalwartCase]:
    """Read one file as mail-auth's `spf_verify` test does (see SOURCES.md)."""
    text = path.read_text(encoding="utf-8")
    records: dict[str, dict[str, list]] = {}
    # mail-auth's test resolver fails any name containing "_dns_error.": here SERVFAIL.
    faults = tuple((name.rstrip("."), "servfail", None) for name in sorted(set(_DNS_ERROR.findall(text))))
    cases: list[StalwartCase] = []

    def put(name: str, rdtype: str, values: list) -> None:
        name = name.strip().rstrip(".").lower()
        if _wire_safe(name):
            records.setdefault(name, {})[rdtype] = values

    for section in text.split("---\n"):
        name, helo, sender, ip = "", "", "", "127.0.0.1"
        for raw_line in section.split("\n"):
            line = raw_line.strip()
            if line.startswith("-"):
                line = line[1:].strip()
            prefix = next((p for p in _PREFIXES if line.startswith(p)), None)
            if prefix is None:
                continue
            value = line[len(prefix) :].strip()
            if prefix == "name:":
                name = value
            elif prefix in ("spf:", "exp:"):
                owner, _, data = value.partition(" ")
                put(owner, "TXT", [data])
            elif prefix in ("a:", "aaaa:"):
                owner, _, data = value.partition(" ")
                put(owner, prefix[:-1].upper(), [item.strip() for item in data.split(",")])
            elif prefix == "ptr:":
                address, _, data = value.partition(" ")
                reverse = ipaddress.ip_address(address.strip()).reverse_pointer
                put(reverse, "PTR", [_absolute(item.strip()) for item in data.split(",")])
            elif prefix == "mx:":
                owner, _, data = value.partition(" ")
                exchanges = []
                for position, item in enumerate(data.split(",")):
                    address = ipaddress.ip_address(item.strip())
                    host = _mx_host(str(address), position)
                    put(host, "A" if address.version == 4 else "AAAA", [str(address)])
                    exchanges.append((position + 1, host))
                put(owner, "MX", exchanges)
            elif prefix == "domain:":
                helo = value
            elif prefix == "sender:":
                sender = value
            elif prefix == "ip:":
                ip = value
            else:  # expect:
                result, _, explanation = value.partition(" ")
                cases.append(
                    StalwartCase(
                        key=f"stalwart-spf:{path.stem}:{len(cases) + 1}",
                        name=name,
                        records={n: dict(types) for n, types in records.items()},
                        faults=faults,
                        helo=helo,
                        sender=sender,
                        ip=ip,
                        expected=result.strip(),
                        explanation=explanation.strip(),
                    )
                )
    return cases


def _absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."
