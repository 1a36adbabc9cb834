"""RFC 7208 check_host(): the SPF result for one client IP and one domain.

Processing limits apply lazily, as section 4.6.4 says: the 10 DNS-querying
terms and the 2 void lookups are counted when evaluation reaches a term, not
up front. DNS failures become `temperror`, never a guess.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, replace

from ..limits import SPF_MAX_DNS_LOOKUPS, SPF_MAX_MX_ADDRESS_LOOKUPS, SPF_MAX_PTR_NAMES, SPF_MAX_VOID_LOOKUPS
from ..resolver import Answer, Resolver
from .errors import shown
from .lookup import fetch_spf
from .macro_syntax import validate_domain_spec
from .macros import MacroContext, expand_domain_spec, expand_explanation, uses_ptr_macro
from .names import checkable_domain, query_name
from .parser import SpfRecord, SpfSyntaxError, Term, parse_record

MAX_DNS_TERMS = SPF_MAX_DNS_LOOKUPS  # section 4.6.4
MAX_VOID_LOOKUPS = SPF_MAX_VOID_LOOKUPS
MAX_MX_NAMES = SPF_MAX_MX_ADDRESS_LOOKUPS
MAX_PTR_NAMES = SPF_MAX_PTR_NAMES
MAX_DEPTH = 20  # include/redirect nesting; the term limit stops loops first, this guards the stack

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

RESULTS = ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")
_QUALIFIER_RESULTS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}


@dataclass(frozen=True)
class SpfResult:
    """check_host()'s answer; `mechanism` is the term that matched, `explanation` the exp= text for fail."""

    result: str
    explanation: str = ""
    mechanism: str | None = None
    detail: str = ""  # why, for permerror/temperror (human-readable)


class _Abort(Exception):
    """Ends evaluation with permerror or temperror, from any depth."""

    def __init__(self, result: str, detail: str):
        super().__init__(detail)
        self.result = result
        self.detail = detail


@functools.lru_cache(maxsize=1024)  # a sweep checks the same few outbound IPs for every domain
def client_address(ip: str) -> IPAddress:
    """The client IP, an IPv4-mapped IPv6 address taken as IPv4 (section 5, last paragraph)."""
    address = ipaddress.ip_address(ip.strip())
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def sender_identity(sender: str, helo: str | None) -> str:
    """<sender>: the MAIL FROM, "postmaster@helo" when empty, "postmaster" for an empty local part."""
    if not sender:
        return f"postmaster@{helo or ''}"
    local, at, domain = sender.rpartition("@")
    if not at:
        return f"postmaster@{sender}"
    return f"{local or 'postmaster'}@{domain}"


class _Evaluation:
    """The counters and context shared by one check_host() call and its includes/redirects."""

    def __init__(self, resolver: Resolver, ctx: MacroContext):
        self.resolver = resolver
        self.ctx = ctx
        self.dns_terms = 0
        self.void_lookups = 0
        self.ptr_names: dict[str, str] = {}  # per domain: the validated name for %{p}
        self.contexts: dict[str, MacroContext] = {}  # per <domain> of an include/redirect
        self.v4 = ctx.ip.version == 4

    def context_for(self, domain: str) -> MacroContext:
        """The macro context with <domain> set (dataclasses.replace is slow for the hot path)."""
        ctx = self.contexts.get(domain)
        if ctx is None:
            base = self.ctx
            ctx = self.contexts[domain] = MacroContext(
                base.ip, base.sender, domain, base.helo, base.validated_ptr, base.receiver, base.timestamp
            )
        return ctx

    # -- counting -------------------------------------------------------------------------------

    def count_term(self, term_text: str) -> None:
        self.dns_terms += 1
        if self.dns_terms > MAX_DNS_TERMS:
            raise _Abort("permerror", f"more than {MAX_DNS_TERMS} DNS-querying terms (at {shown(term_text)})")

    def note_answer(self, answer: Answer, term_text: str, *, temperror_on_failure: bool = True) -> bool:
        """True when the answer has records; raises on failure (temperror) or void overflow."""
        if answer.failed:
            if temperror_on_failure:
                raise _Abort(
                    "temperror", f"{answer.name} {answer.rdtype}: {answer.outcome} {answer.detail}".strip()
                )
            return False
        if answer.void:
            self.void_lookups += 1
            if self.void_lookups > MAX_VOID_LOOKUPS:
                raise _Abort(
                    "permerror", f"more than {MAX_VOID_LOOKUPS} void lookups (at {shown(term_text)})"
                )
            return False
        return True

    # -- one domain -----------------------------------------------------------------------------

    async def check(self, domain: str, depth: int) -> SpfResult:
        if depth > MAX_DEPTH:
            raise _Abort("permerror", f"include/redirect nesting deeper than {MAX_DEPTH}")
        lookup = await fetch_spf(self.resolver, domain)
        if lookup.failed:
            answer = lookup.answer
            raise _Abort("temperror", f"{answer.name} TXT: {answer.outcome} {answer.detail}".strip())
        if lookup.none:
            return SpfResult("none", detail=f"{domain} publishes no SPF record")
        if lookup.multiple:
            raise _Abort("permerror", f"{domain} publishes {len(lookup.records)} SPF records")
        try:
            record = parse_record(lookup.records[0])
        except SpfSyntaxError as exc:
            raise _Abort("permerror", f"{domain}: {exc}") from None
        return await self.evaluate(record, domain, depth)

    async def evaluate(self, record: SpfRecord, domain: str, depth: int) -> SpfResult:
        ctx = self.ctx if self.ctx.domain == domain else self.context_for(domain)
        ip = ctx.ip
        v4 = self.v4
        for term in record.mechanisms:
            name = term.name
            # ip4/ip6/all need no DNS: decided here, without a coroutine per term
            if name == "ip4":
                matched = v4 and ip in _network(term.value, _cidr(term.cidr4, 32))
            elif name == "ip6":
                matched = not v4 and ip in _network(term.value, _cidr(term.cidr6, 128))
            elif name == "all":
                matched = True
            else:
                matched = await self.matches(term, ctx, depth)
            if matched:
                result = _QUALIFIER_RESULTS[term.qualifier]
                explanation = await self.explain(record, ctx) if result == "fail" else ""
                return SpfResult(result, explanation=explanation, mechanism=term.text)
        redirect = record.redirect
        if redirect is not None:
            self.count_term(redirect.text)
            target = await self.target(redirect.value, ctx)
            if target is None:
                raise _Abort("permerror", f"redirect target {redirect.value!r} is not a valid domain")
            outcome = await self.check(target, depth + 1)
            if outcome.result == "none":
                raise _Abort("permerror", f"redirect={target}: {target} publishes no SPF record")
            return outcome
        return SpfResult("neutral")

    # -- mechanisms -----------------------------------------------------------------------------

    async def target(self, spec: str | None, ctx: MacroContext) -> str | None:
        """The expanded domain of a term (<domain> when absent), None when it is not a usable name."""
        if spec is None:
            return ctx.domain
        if uses_ptr_macro(validate_domain_spec(spec)):
            ctx = replace(ctx, validated_ptr=await self.validated_ptr(ctx))
        return query_name(expand_domain_spec(spec, ctx))

    async def matches(self, term: Term, ctx: MacroContext, depth: int) -> bool:
        name = term.name
        ip = ctx.ip
        if name == "all":
            return True
        if name == "ip4":
            return ip.version == 4 and ip in _network(term.value, _cidr(term.cidr4, 32))
        if name == "ip6":
            return ip.version == 6 and ip in _network(term.value, _cidr(term.cidr6, 128))
        self.count_term(term.text)
        target = await self.target(term.value, ctx)
        if name == "include":
            if target is None:
                raise _Abort("permerror", f"include target {term.value!r} is not a valid domain")
            outcome = await self.check(target, depth + 1)
            if outcome.result in ("temperror", "permerror"):
                raise _Abort(outcome.result, outcome.detail)
            if outcome.result == "none":
                raise _Abort("permerror", f"include:{target}: {target} publishes no SPF record")
            return outcome.result == "pass"
        if target is None:
            return False  # RFC 7208 4.8: a name DNS cannot carry matches nothing
        if name == "a":
            return await self.address_match(target, term, ctx, count_void=True)
        if name == "mx":
            return await self.mx_match(target, term, ctx)
        if name == "exists":
            answer = await self.resolver.query(target, "A")
            return self.note_answer(answer, term.text)
        return await self.ptr_match(target, term, ctx)

    async def address_match(self, host: str, term: Term, ctx: MacroContext, *, count_void: bool) -> bool:
        rdtype = "A" if ctx.ip.version == 4 else "AAAA"
        answer = await self.resolver.query(host, rdtype)
        if count_void:
            if not self.note_answer(answer, term.text):
                return False
        elif answer.failed:
            raise _Abort("temperror", f"{answer.name} {rdtype}: {answer.outcome}")
        prefix = _cidr(term.cidr4, 32) if ctx.ip.version == 4 else _cidr(term.cidr6, 128)
        network = _network(str(ctx.ip), prefix)
        return any(_in(address, network) for address in answer.records)

    async def mx_match(self, target: str, term: Term, ctx: MacroContext) -> bool:
        answer = await self.resolver.query(target, "MX")
        if not self.note_answer(answer, term.text):
            return False
        # Section 4.6.4: at most MAX_MX_NAMES address lookups per mx term, counted as they are made:
        # with 11 MX hosts, a client that the 8th one matches gets its `pass`.
        asked = 0
        for _, host in sorted(answer.records):
            if not host or query_name(host) is None:
                continue  # a null MX or a name DNS cannot carry is never asked
            if asked == MAX_MX_NAMES:
                raise _Abort(
                    "permerror",
                    f"{target} has more than {MAX_MX_NAMES} MX hosts to look up (at {shown(term.text)})",
                )
            asked += 1
            if await self.address_match(host, term, ctx, count_void=False):
                return True
        return False

    async def validated_names(self, ctx: MacroContext) -> list[str]:
        """Section 5.5: PTR names whose own addresses include the client IP (first 10 names only)."""
        answer = await self.resolver.query(ctx.ip.reverse_pointer, "PTR")
        if answer.failed or answer.void:
            return []
        rdtype = "A" if ctx.ip.version == 4 else "AAAA"
        validated = []
        for name in answer.records[:MAX_PTR_NAMES]:
            addresses = await self.resolver.query(name, rdtype)
            if not addresses.failed and any(_same(ctx.ip, a) for a in addresses.records):
                validated.append(name)
        return validated

    async def ptr_match(self, target: str, term: Term, ctx: MacroContext) -> bool:
        answer = await self.resolver.query(ctx.ip.reverse_pointer, "PTR")
        if answer.void:
            self.note_answer(answer, term.text)
        names = await self.validated_names(ctx)
        return any(name == target or name.endswith("." + target) for name in names)

    async def validated_ptr(self, ctx: MacroContext) -> str:
        """The `p` macro: a validated name, preferring <domain> itself, then its subdomains."""
        if ctx.domain not in self.ptr_names:
            names = await self.validated_names(ctx)
            chosen = next((n for n in names if n == ctx.domain), None)
            chosen = chosen or next((n for n in names if n.endswith("." + ctx.domain)), None)
            self.ptr_names[ctx.domain] = chosen or (names[0] if names else "unknown")
        return self.ptr_names[ctx.domain]

    async def explain(self, record: SpfRecord, ctx: MacroContext) -> str:
        """Section 6.2: the exp= text, or "" when anything about it is wrong (never changes the result)."""
        exp = record.exp
        if exp is None:
            return ""
        try:
            target = await self.target(exp.value, ctx)
            if target is None:
                return ""
            answer = await self.resolver.query(target, "TXT")
            if answer.failed or len(answer.records) != 1:
                return ""
            text = answer.records[0]
            if "%{p" in text.lower():
                ctx = replace(ctx, validated_ptr=await self.validated_ptr(ctx))
            return expand_explanation(text, ctx)
        except (SpfSyntaxError, _Abort):
            return ""


@functools.lru_cache(maxsize=8192)
def _network(address: str | None, prefix: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


def _cidr(value: int | None, default: int) -> int:
    return default if value is None else value


def _in(address: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    parsed = _address(address)
    return parsed is not None and parsed in network


@functools.lru_cache(maxsize=8192)  # the same A records are compared again for every client IP checked
def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _same(ip: IPAddress, address: str) -> bool:
    try:
        return ipaddress.ip_address(address) == ip
    except ValueError:
        return False


async def check_host(
    resolver: Resolver, ip: str, domain: str, sender: str, helo: str | None = None
) -> SpfResult:
    """RFC 7208 section 4: the SPF result for mail from `sender` sent by `ip`, checked at `domain`."""
    try:
        address = client_address(ip)
    except ValueError:
        return SpfResult("permerror", detail=f"{ip!r} is not an IP address")
    start = checkable_domain(domain)
    if start is None:
        return SpfResult("none", detail=f"{domain!r} is not a multi-label domain name")
    ctx = MacroContext(ip=address, sender=sender_identity(sender, helo), domain=start, helo=helo or "")
    evaluation = _Evaluation(resolver, ctx)
    try:
        return await evaluation.check(start, depth=0)
    except _Abort as abort:
        return SpfResult(abort.result, detail=abort.detail)
