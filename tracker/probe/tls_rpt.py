"""TLS reporting (RFC 8460, kind `tls-rpt`): `_smtp._tls.<domain>` sending reports to the legacy service.

A `rua=mailto:` address at one of the legacy service's mail domains, or an
`https:` endpoint on one of its hosts, stops receiving reports when the legacy
service stops; nothing bounces, the customer just goes blind (`quiet`). The
same holds for the record itself when `_smtp._tls.<domain>` is a CNAME into
the legacy service's names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.probe.findings import NOW, QUIET, Advice, CheckResult, LegacyReference, Recorder

if TYPE_CHECKING:
    from tracker.probe.campaign import Service
    from tracker.probe.check_context import CheckContext

MAX_URIS = 16
_MAILTO = re.compile(r"^mailto:([^@\s]+)@([^@\s?]+)(\?.*)?$", re.IGNORECASE)
_HTTPS = re.compile(r"^https://([^/:?#\s]+)", re.IGNORECASE)


class TlsRptError(ValueError):
    """A record senders ignore (RFC 8460 3); the message says why."""


@dataclass(frozen=True)
class TlsRptRecord:
    text: str
    rua: tuple[str, ...]
    extensions: tuple[str, ...] = ()  # other fields, as written, kept when rewriting


def is_tlsrpt_record(text: str) -> bool:
    return bool(re.match(r"^\s*v=TLSRPTv1\s*(;|$)", text))


def parse_tlsrpt(text: str) -> TlsRptRecord:
    fields = [part.strip() for part in text.split(";")]
    while fields and not fields[-1]:
        fields.pop()
    if not fields or fields[0].replace(" ", "") != "v=TLSRPTv1":
        raise TlsRptError("the record must start with v=TLSRPTv1")
    rua: tuple[str, ...] | None = None
    extensions = []
    for part in fields[1:]:
        key, sep, value = part.partition("=")
        if not sep:
            raise TlsRptError(f"{part[:40]!r} is not a key=value field")
        if key.strip() == "rua":
            if rua is not None:
                raise TlsRptError("rua= appears twice")
            rua = tuple(uri.strip() for uri in value.split(",") if uri.strip())
        else:
            extensions.append(part)
    if not rua:
        raise TlsRptError("the record has no rua= address")
    if len(rua) > MAX_URIS:
        raise TlsRptError(f"rua lists {len(rua)} addresses (at most {MAX_URIS} are read)")
    for uri in rua:
        if not (_MAILTO.match(uri) or _HTTPS.match(uri)):
            raise TlsRptError(f"{uri[:60]!r} is not a mailto: or https: address")
    return TlsRptRecord(text=text, rua=rua, extensions=tuple(extensions))


def tlsrpt_text(rua: list[str], extensions: tuple[str, ...] = ()) -> str:
    return "; ".join(["v=TLSRPTv1", *extensions, "rua=" + ",".join(rua)])


def on_legacy(uri: str, legacy: Service) -> bool:
    """A report address on the legacy service: a mailbox at its mail domains, or an endpoint on its hosts."""
    mailto = _MAILTO.match(uri)
    if mailto:
        return legacy.matches_mail_domain(mailto.group(2))
    https = _HTTPS.match(uri)
    return bool(https) and legacy.matches_host(https.group(1))


def skip_reason(campaign) -> str | None:
    if not campaign.legacy.mail_domains and campaign.legacy.hosts is None:
        return "the campaign lists neither legacy.mail_domains nor legacy.hosts"
    return None


async def check(context: CheckContext) -> CheckResult:
    campaign, domain = context.campaign, context.domain
    recorder = Recorder(context.resolver)
    name = f"_smtp._tls.{domain}"
    answer = await recorder.query(name, "TXT")
    result = CheckResult("tls-rpt")
    details = {"name": name, "record": None, "rua": [], "error": None}
    result.details = details
    if answer.failed:
        details["error"] = f"lookup failed: {answer.failure_reason}"
        return result.took(recorder)
    records = [text for text in answer.records if is_tlsrpt_record(text)] if not answer.void else []
    path = (domain, name)
    alias = next((a for a in answer.aliases if campaign.legacy.matches_host(a)), None)
    if alias is not None:
        result.references.append(LegacyReference("tls-rpt", f"{name} -> {alias}", path, QUIET))
    if len(records) != 1:
        if len(records) > 1:
            details["error"] = f"{len(records)} TLSRPT records: senders use none (RFC 8460 3)"
        return result.took(recorder)
    details["record"] = records[0]
    try:
        parsed = parse_tlsrpt(records[0])
    except TlsRptError as exc:
        details["error"] = f"invalid record: {exc} (senders ignore it)"
        return result.took(recorder)
    details["rua"] = list(parsed.rua)
    legacy_uris = [uri for uri in parsed.rua if on_legacy(uri, campaign.legacy)]
    for uri in legacy_uris:
        result.references.append(LegacyReference("tls-rpt", f"rua={uri}", path, QUIET))
    if legacy_uris or alias is not None:
        result.advice.append(_advice(name, parsed, legacy_uris, campaign, alias))
    return result.took(recorder)


def _advice(name: str, parsed: TlsRptRecord, legacy_uris: list[str], campaign, alias: str | None) -> Advice:
    current = (parsed.text,)
    successor_uris = list(campaign.successor.tlsrpt_rua or ())
    if not successor_uris:
        reason = "the campaign names no successor.tlsrpt_rua: point the reports at a mailbox that stays"
        return Advice("tls-rpt", name, "TXT", current, None, NOW, withheld=reason)
    kept = [uri for uri in parsed.rua if uri not in legacy_uris]
    text = tlsrpt_text(list(dict.fromkeys([*kept, *successor_uris])), parsed.extensions)
    # Offered only as it reads back: a valid record with no address on the legacy service.
    try:
        again = parse_tlsrpt(text)
    except TlsRptError as exc:
        return Advice(
            "tls-rpt", name, "TXT", current, None, NOW, withheld=f"the rewrite would be invalid: {exc}"
        )
    if any(on_legacy(uri, campaign.legacy) for uri in again.rua):
        reason = "successor.tlsrpt_rua is itself on the legacy service"
        return Advice("tls-rpt", name, "TXT", current, None, NOW, withheld=reason)
    note = f"publish as a TXT record at {name} in place of the CNAME to {alias}" if alias else ""
    return Advice("tls-rpt", name, "TXT", current, (text,), NOW, note=note)
