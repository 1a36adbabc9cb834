"""DMARC: policy discovery both the RFC 7489 way and the RFC 9989 (DMARCbis) way, and what the report shows.

RFC 7489 looks at `_dmarc.<domain>`, then at `_dmarc.<organizational domain>`
found with the Public Suffix List. RFC 9989 walks the DNS tree instead (at most
8 queries): the record applied is the domain's own, else its organizational
domain's, else its public suffix domain's (4.10.1), and the organizational
domain is the highest name with a record unless a `psd=` tag marks a boundary
(4.10.2). Receivers use either today, so both are run; the report follows RFC
7489 (what most receivers still do) and says so in a note when the tree walk
applies another record. Both read records the same way (`dmarc_record`).
DMARC cannot hold a legacy reference: its failures are reported but do not
decide the verdict on their own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tracker.probe.dmarc_record import (
    DEPRECATED_TAGS,
    POLICIES,
    DmarcRecord,
    DmarcSyntaxError,
    is_dmarc_record,
    near_miss,
    parse_dmarc,
)
from tracker.probe.domains import registrable_domain
from tracker.probe.limits import DMARC_TREE_WALK_MAX_QUERIES

if TYPE_CHECKING:
    from tracker.probe.resolver import Answer, Resolver

__all__ = [
    "DEPRECATED_TAGS",
    "POLICIES",
    "DmarcAnalysis",
    "DmarcRecord",
    "DmarcSyntaxError",
    "Discovery",
    "analyze_dmarc",
    "effective_policy",
    "is_dmarc_record",
    "parse_dmarc",
    "tree_walk_names",
]


@dataclass
class Discovery:
    """What one discovery method found; `failed` when a lookup left the answer open."""

    method: str  # "rfc7489" or "dmarcbis"
    queried: list[str] = field(default_factory=list)
    record: str | None = None
    policy_domain: str | None = None
    organizational_domain: str | None = None
    policy: str | None = None  # set by DmarcAnalysis.settle: it depends on whether the domain exists
    error: str | None = None
    failed: bool = False
    failures: list[Answer] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # TXT records that look like DMARC but are not
    parsed: DmarcRecord | None = None
    invalid: str | None = None  # why the record as a whole is unusable


@dataclass
class _Level:
    """The DMARC TXT records at one `_dmarc.<name>`."""

    name: str
    answer: Answer
    records: list[str]
    ignored: list[str]


async def _records_at(resolver: Resolver, name: str) -> _Level:
    answer = await resolver.query(f"_dmarc.{name}", "TXT")
    texts = list(answer.records) if not answer.failed else []
    ignored = [
        f"_dmarc.{name}: the TXT record {text[:60]!r} is not a DMARC record, {why}: receivers ignore it"
        for text in texts
        if (why := near_miss(text))
    ]
    return _Level(name, answer, [text for text in texts if is_dmarc_record(text)], ignored)


def _read(found: Discovery) -> None:
    """Parse the record found (once), keeping why it is unusable if it is."""
    if found.record is None:
        return
    try:
        found.parsed = parse_dmarc(found.record)
    except DmarcSyntaxError as exc:
        found.invalid = str(exc)


def _conclude(found: Discovery, level: _Level) -> bool:
    """RFC 7489 6.6.3: True when discovery stops at this level (a record, several, or a failure)."""
    found.queried.append(level.name)
    found.ignored.extend(level.ignored)
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
        _read(found)
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
    """RFC 9989 4.10: the domain, then (from at most 7 labels) each parent up to the top label."""
    labels = domain.split(".")
    names = [domain]
    start = min(len(labels) - 1, DMARC_TREE_WALK_MAX_QUERIES - 1)
    for count in range(start, 0, -1):
        names.append(".".join(labels[-count:]))
    return names


def _psd_flag(text: str) -> str:
    try:
        return parse_dmarc(text).psd
    except DmarcSyntaxError:
        return "u"


def _one_label_below(name: str, domain: str) -> str:
    """The name one label longer than `name` on the way down to `domain`."""
    return ".".join(domain.split(".")[-(name.count(".") + 2) :])


def _organizational_domain_of_walk(domain: str, walk: list[tuple[str, str]]) -> str:
    """RFC 9989 4.10.2: psd=n is it, psd=y (not at the start) puts it one label below, else the highest record."""
    for name, text in walk:  # longest name first
        psd = _psd_flag(text)
        if psd == "n":
            return name
        if psd == "y" and name != domain:
            return _one_label_below(name, domain)
    return walk[-1][0] if walk else domain


async def discover_dmarcbis(resolver: Resolver, domain: str) -> Discovery:
    """RFC 9989 4.10.1: the domain's record, else its organizational domain's, else its public suffix's."""
    found = Discovery("dmarcbis")
    walk: list[tuple[str, str]] = []  # (name, its one DMARC record), longest name first
    for name in tree_walk_names(domain):
        level = await _records_at(resolver, name)
        found.queried.append(name)
        if level.answer.failed:
            found.failed = True
            found.failures.append(level.answer)
            found.error = f"DMARC lookup of _dmarc.{name} failed: {level.answer.failure_reason}"
            break
        if len(level.records) == 1:  # several records at one name are all discarded (4.10 step 2)
            walk.append((name, level.records[0]))
            if _psd_flag(level.records[0]) in ("y", "n"):
                break
    records = dict(walk)
    if found.failed:
        # The domain's own record applies whatever the rest of the walk says; nothing else is known.
        if domain in records:
            found.record, found.policy_domain = records[domain], domain
            _read(found)
        return found
    found.organizational_domain = _organizational_domain_of_walk(domain, walk)
    for candidate in (domain, found.organizational_domain):
        if candidate in records:
            found.policy_domain = candidate
            break
    else:
        # The public suffix domain: the psd=y record the walk stopped at.
        if walk and _psd_flag(walk[-1][1]) == "y":
            found.policy_domain = walk[-1][0]
    if found.policy_domain is not None:
        found.record = records[found.policy_domain]
        _read(found)
    return found


# -- the analysis the report uses ---------------------------------------------------------------


def effective_policy(
    record: DmarcRecord, policy_domain: str, domain: str, domain_missing: bool
) -> str | None:
    """`p` at the domain itself; for a subdomain `np` if it does not exist, else `sp`, else `p`.

    None when the record leaves receivers with no DMARC policy (`DmarcRecord.policies`).
    """
    policies = record.policies
    if policies is None:
        return None
    p, sp, np = policies
    if policy_domain == domain:
        return p
    if domain_missing and np:
        return np
    return sp or p


def _policy_of(found: Discovery, domain: str, domain_missing: bool) -> str | None:
    if found.parsed is None or found.policy_domain is None:
        return None
    return effective_policy(found.parsed, found.policy_domain, domain, domain_missing)


@dataclass
class DmarcAnalysis:
    """The domain's DMARC as the report shows it (RFC 7489 discovery, RFC 9989 noted beside)."""

    domain: str
    record: str | None = None
    policy_domain: str | None = None
    policy: str | None = None
    deprecated_tags: list[str] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    organizational_domain: str | None = None
    testing: bool = False  # t=y: RFC 9989 receivers apply one policy level lower
    dmarcbis: Discovery | None = None
    failures: list[Answer] = field(default_factory=list)
    parsed: DmarcRecord | None = None

    def settle(self, domain_missing: bool) -> None:
        """The policies that apply, given whether the domain exists (`np` is for domains that do not)."""
        if self.parsed is not None and self.policy_domain is not None:
            self.policy = effective_policy(self.parsed, self.policy_domain, self.domain, domain_missing)
        if self.dmarcbis is not None:
            self.dmarcbis.policy = _policy_of(self.dmarcbis, self.domain, domain_missing)

    def apply_domain_missing(self) -> None:
        """The domain itself is NXDOMAIN: a parent's `np` (if any) is the policy that applies."""
        self.settle(domain_missing=True)


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
    result.warnings.extend(rfc.ignored)
    if rfc.invalid is not None:
        result.error = f"invalid DMARC record at _dmarc.{rfc.policy_domain}: {rfc.invalid}"
    elif rfc.parsed is not None:
        _describe_record(result, rfc.parsed)
    elif rfc.error is None and not rfc.failed:
        result.notes.append("no DMARC record (RFC 7489 discovery)")
    result.settle(domain_missing=False)
    result.notes.extend(_disagreement(rfc, bis))
    return result


def _describe_record(result: DmarcAnalysis, parsed: DmarcRecord) -> None:
    """Tag-level errors are listed as warnings (receivers discard those tags) and summed up in `error`."""
    result.parsed = parsed
    result.deprecated_tags = parsed.deprecated_tags
    result.testing = parsed.testing
    result.warnings.extend(parsed.problems + parsed.warnings)
    if parsed.problems:
        kind = "invalid DMARC record" if parsed.policies is None else "errors in the DMARC record"
        result.error = f"{kind} at _dmarc.{result.policy_domain}: {'; '.join(parsed.problems)}"


def _unique_failures(answers: list[Answer]) -> list[Answer]:
    """Both methods ask `_dmarc.<domain>` first: report each failed question once."""
    seen: dict[tuple[str, str], Answer] = {}
    for answer in answers:
        seen.setdefault((answer.name, answer.rdtype), answer)
    return list(seen.values())


def _disagreement(rfc: Discovery, bis: Discovery) -> list[str]:
    applied = lambda d: (d.policy_domain, d.record) if d.record else None  # noqa: E731
    if rfc.failed or bis.failed or applied(rfc) == applied(bis):
        return []
    where = lambda d: f"_dmarc.{d.policy_domain}" if d.record else "no record"  # noqa: E731
    return [
        f"RFC 7489 discovery (Public Suffix List) applies {where(rfc)}, "
        f"RFC 9989 discovery (DNS tree walk) applies {where(bis)}"
    ]
