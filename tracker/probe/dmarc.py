"""DMARC: record parsing and policy discovery, both the RFC 7489 way and the DMARCbis way.

RFC 7489 looks at `_dmarc.<domain>`, then at `_dmarc.<organizational domain>`
found with the Public Suffix List. DMARCbis walks the DNS tree instead (at
most 8 queries) and lets records mark boundaries with `psd=`. Receivers use
either today, so both are run; the report follows RFC 7489 (what most
receivers still do) and says so in a note when the tree walk finds another
policy. DMARC cannot hold a legacy reference: its failures are reported but
do not decide the verdict on their own.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tracker.probe.domains import registrable_domain
from tracker.probe.limits import DMARC_TREE_WALK_MAX_QUERIES, MAX_DMARC_RECORD_LENGTH, MAX_DMARC_URIS

if TYPE_CHECKING:
    from tracker.probe.resolver import Answer, Resolver

DEPRECATED_TAGS = ("pct", "rf", "ri")  # removed by DMARCbis
KNOWN_TAGS = ("v", "p", "sp", "np", "adkim", "aspf", "pct", "rua", "ruf", "fo", "rf", "ri", "psd", "t")
POLICIES = ("none", "quarantine", "reject")

_DMARC_START = re.compile(r"^\s*v\s*=\s*dmarc1\s*(;|$)", re.IGNORECASE)
_TAG = re.compile(r"^[a-z][a-z0-9_]*$")
_URI = re.compile(r"^[a-z][a-z0-9+.-]*:[^\s!,]+(![0-9]+[kmgt]?)?$", re.IGNORECASE)


class DmarcSyntaxError(ValueError):
    """A DMARC record that breaks the RFC 7489 / DMARCbis grammar; the message says where."""


@dataclass(frozen=True)
class DmarcRecord:
    """A parsed DMARC record: tag names lower case, enumerated values lower case."""

    text: str
    tags: dict[str, str]
    warnings: tuple[str, ...] = ()

    @property
    def p(self) -> str:
        return self.tags.get("p", "none")  # DMARCbis: a missing p means none

    @property
    def sp(self) -> str | None:
        return self.tags.get("sp")

    @property
    def np(self) -> str | None:
        return self.tags.get("np")

    @property
    def psd(self) -> str:
        return self.tags.get("psd", "u")

    @property
    def deprecated_tags(self) -> list[str]:
        return [tag for tag in DEPRECATED_TAGS if tag in self.tags]


def is_dmarc_record(text: str) -> bool:
    """Starts with `v=DMARC1` (RFC 7489 6.6.3: other TXT records at _dmarc are ignored)."""
    return bool(_DMARC_START.match(text))


def _check_choice(tag: str, value: str, choices: tuple[str, ...]) -> str:
    value = value.lower()
    if value not in choices:
        raise DmarcSyntaxError(f"{tag}={value!r} is not one of {', '.join(choices)}")
    return value


def _check_uris(tag: str, value: str) -> str:
    uris = [uri.strip() for uri in value.split(",")]
    if len(uris) > MAX_DMARC_URIS:
        raise DmarcSyntaxError(f"{tag} lists {len(uris)} URIs (at most {MAX_DMARC_URIS} are read)")
    for uri in uris:
        if not _URI.match(uri):
            raise DmarcSyntaxError(f"{tag}: {uri[:80]!r} is not a URI such as mailto:dmarc@example.com")
    return ",".join(uris)


def _check_number(tag: str, value: str, high: int) -> str:
    if not value.isdigit() or int(value) > high:
        raise DmarcSyntaxError(f"{tag}={value!r} must be a whole number from 0 to {high}")
    return str(int(value))


def _check_list(tag: str, value: str, known: tuple[str, ...], warnings: list[str]) -> str:
    items = [item.strip().lower() for item in value.split(":")]
    unknown = [item for item in items if item not in known]
    if tag == "fo" and unknown:
        raise DmarcSyntaxError(f"fo={value!r}: options are 0, 1, d and s separated by ':'")
    if unknown:
        warnings.append(f"{tag}: unknown value(s) {', '.join(unknown)}")
    return ":".join(items)


def _validated(tag: str, value: str, warnings: list[str]) -> str:
    match tag:
        case "p" | "sp" | "np":
            return _check_choice(tag, value, POLICIES)
        case "adkim" | "aspf":
            return _check_choice(tag, value, ("r", "s"))
        case "psd":
            return _check_choice(tag, value, ("y", "n", "u"))
        case "t":
            return _check_choice(tag, value, ("y", "n"))
        case "pct":
            return _check_number(tag, value, 100)
        case "ri":
            return _check_number(tag, value, 2**32 - 1)
        case "rua" | "ruf":
            return _check_uris(tag, value)
        case "fo":
            return _check_list(tag, value, ("0", "1", "d", "s"), warnings)
        case "rf":
            return _check_list(tag, value, ("afrf",), warnings)
    warnings.append(f"unknown tag {tag!r} ignored")
    return value


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse and validate one DMARC record, or raise DmarcSyntaxError."""
    if len(text) > MAX_DMARC_RECORD_LENGTH:
        raise DmarcSyntaxError(f"record is {len(text)} characters long (at most {MAX_DMARC_RECORD_LENGTH})")
    parts = [part.strip() for part in text.split(";")]
    while parts and not parts[-1]:
        parts.pop()  # a trailing ';' is allowed
    tags: dict[str, str] = {}
    warnings: list[str] = []
    for index, part in enumerate(parts):
        name, sep, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not sep or not _TAG.match(name):
            raise DmarcSyntaxError(f"{part[:60]!r} is not a tag=value pair")
        if index == 0:
            if name != "v" or value.upper() != "DMARC1":
                raise DmarcSyntaxError("the record must start with v=DMARC1")
            if value != "DMARC1":
                warnings.append(f"v={value} should be written v=DMARC1")
            tags["v"] = "DMARC1"
            continue
        if name == "v":
            raise DmarcSyntaxError("v= may only appear first")
        if name in tags:
            raise DmarcSyntaxError(f"tag {name!r} appears twice")
        if not value and name not in ("rua", "ruf"):
            raise DmarcSyntaxError(f"tag {name!r} has no value")
        tags[name] = _validated(name, value, warnings) if value else value
    if "p" not in tags:
        warnings.append("no p= tag: read as p=none (DMARCbis); RFC 7489 requires it")
    return DmarcRecord(text=text, tags=tags, warnings=tuple(warnings))


# -- discovery -----------------------------------------------------------------------------------


@dataclass
class Discovery:
    """What one discovery method found; `failed` when a lookup left the answer open."""

    method: str  # "rfc7489" or "dmarcbis"
    queried: list[str] = field(default_factory=list)
    record: str | None = None
    policy_domain: str | None = None
    organizational_domain: str | None = None
    error: str | None = None
    failed: bool = False
    failures: list[Answer] = field(default_factory=list)


@dataclass
class _Level:
    """The DMARC TXT records at one `_dmarc.<name>`."""

    name: str
    answer: Answer
    records: list[str]


async def _records_at(resolver: Resolver, name: str) -> _Level:
    answer = await resolver.query(f"_dmarc.{name}", "TXT")
    records = [txt for txt in answer.records if is_dmarc_record(txt)] if not answer.failed else []
    return _Level(name, answer, records)


def _conclude(found: Discovery, level: _Level) -> bool:
    """Record what a level says; True when discovery stops here (a record, several, or a failure)."""
    found.queried.append(level.name)
    if level.answer.failed:
        found.failed = True
        found.failures.append(level.answer)
        found.error = f"DMARC lookup of _dmarc.{level.name} failed: {level.answer.failure_reason}"
        return True
    if len(level.records) > 1:
        found.error = (
            f"_dmarc.{level.name} publishes {len(level.records)} DMARC records (RFC 7489 6.6.3: none applies)"
        )
        found.policy_domain = level.name
        return True
    if level.records:
        found.record, found.policy_domain = level.records[0], level.name
        return True
    return False


def organizational_domain(domain: str) -> str:
    """RFC 7489 3.2: the registrable domain per the Public Suffix List (the copy publicsuffixlist ships)."""
    return registrable_domain(domain)


async def discover_rfc7489(resolver: Resolver, domain: str) -> Discovery:
    found = Discovery("rfc7489", organizational_domain=organizational_domain(domain))
    if _conclude(found, await _records_at(resolver, domain)):
        return found
    if found.organizational_domain != domain:
        _conclude(found, await _records_at(resolver, found.organizational_domain))
    return found


def tree_walk_names(domain: str) -> list[str]:
    """DMARCbis 4.10: the domain, then (from at most 7 labels) each parent up to the top label."""
    labels = domain.split(".")
    names = [domain]
    start = min(len(labels) - 1, DMARC_TREE_WALK_MAX_QUERIES - 1)
    for count in range(start, 0, -1):
        names.append(".".join(labels[-count:]))
    return names


async def discover_dmarcbis(resolver: Resolver, domain: str) -> Discovery:
    """Policy: the first record walking up. Organizational domain: psd=n stops at it, psd=y one below."""
    found = Discovery("dmarcbis", organizational_domain=domain)
    highest_with_record: str | None = None
    previous = domain
    for name in tree_walk_names(domain):
        level = await _records_at(resolver, name)
        if found.record is None and found.error is None:
            if _conclude(found, level) and (found.failed or len(level.records) > 1):
                return found
        else:  # policy known: keep walking only to place the organizational domain
            found.queried.append(name)
            if level.answer.failed:
                found.failures.append(level.answer)
                break
        if len(level.records) == 1:
            psd = _psd_flag(level.records[0])
            if psd == "n":
                found.organizational_domain = name
                return found
            if psd == "y":
                found.organizational_domain = previous
                return found
            highest_with_record = name
        previous = name
    if highest_with_record is not None:
        found.organizational_domain = highest_with_record
    return found


def _psd_flag(text: str) -> str:
    try:
        return parse_dmarc(text).psd
    except DmarcSyntaxError:
        return "u"


# -- the analysis the report uses ---------------------------------------------------------------


@dataclass
class DmarcAnalysis:
    """The domain's DMARC as the report shows it (RFC 7489 discovery, DMARCbis noted beside)."""

    domain: str
    record: str | None = None
    policy_domain: str | None = None
    policy: str | None = None
    deprecated_tags: list[str] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    organizational_domain: str | None = None
    dmarcbis: Discovery | None = None
    failures: list[Answer] = field(default_factory=list)
    parsed: DmarcRecord | None = None

    def apply_domain_missing(self) -> None:
        """The domain itself is NXDOMAIN: a parent's `np` (if any) is the policy that applies."""
        if self.parsed is not None and self.policy_domain != self.domain and self.parsed.np:
            self.policy = self.parsed.np


def effective_policy(record: DmarcRecord, policy_domain: str, domain: str, domain_missing: bool) -> str:
    """`p` at the domain itself; for a subdomain `np` if it does not exist, else `sp`, else `p`."""
    if policy_domain == domain:
        return record.p
    if domain_missing and record.np:
        return record.np
    return record.sp or record.p


async def analyze_dmarc(resolver: Resolver, domain: str) -> DmarcAnalysis:
    """Discover and parse the DMARC policy that applies to mail from `domain`."""
    # Both start with _dmarc.<domain> (one shared query); the tree walk runs in a task beside.
    walk = asyncio.ensure_future(discover_dmarcbis(resolver, domain))
    try:
        rfc = await discover_rfc7489(resolver, domain)
    except BaseException:
        walk.cancel()
        raise
    bis = await walk
    result = DmarcAnalysis(domain=domain, dmarcbis=bis, organizational_domain=rfc.organizational_domain)
    result.record, result.policy_domain, result.error = rfc.record, rfc.policy_domain, rfc.error
    result.failures = _unique_failures(rfc.failures + bis.failures)
    if rfc.record is not None:
        try:
            parsed = parse_dmarc(rfc.record)
        except DmarcSyntaxError as exc:
            result.error = f"invalid DMARC record at _dmarc.{rfc.policy_domain}: {exc}"
        else:
            result.parsed = parsed
            result.policy = effective_policy(parsed, rfc.policy_domain, domain, domain_missing=False)
            result.deprecated_tags = parsed.deprecated_tags
            result.warnings.extend(parsed.warnings)
    elif rfc.error is None and not rfc.failed:
        result.notes.append("no DMARC record (RFC 7489 discovery)")
    result.notes.extend(_disagreement(rfc, bis))
    return result


def _unique_failures(answers: list[Answer]) -> list[Answer]:
    """Both methods ask `_dmarc.<domain>` first: report each failed question once."""
    seen: dict[tuple[str, str], Answer] = {}
    for answer in answers:
        seen.setdefault((answer.name, answer.rdtype), answer)
    return list(seen.values())


def _disagreement(rfc: Discovery, bis: Discovery) -> list[str]:
    if rfc.failed or bis.failed or (rfc.policy_domain == bis.policy_domain and rfc.record == bis.record):
        return []
    where = lambda d: f"_dmarc.{d.policy_domain}" if d.policy_domain else "no record"  # noqa: E731
    return [
        f"RFC 7489 discovery (Public Suffix List) finds {where(rfc)}, "
        f"DMARCbis discovery (DNS tree walk) finds {where(bis)}"
    ]
