"""DMARC report addresses (kind `dmarc-report`): `rua=`/`ruf=` mailboxes on the legacy service.

Read from the DMARC analysis (the record that applies to the domain, parsed
by dmarc.py): no query of its own. A mailbox at one of the legacy service's
mail domains stops receiving reports when the legacy service stops (`quiet`).

The advice is the same record with the legacy addresses replaced by the
successor's (`successor.dmarc_rua`; legacy `ruf` addresses are dropped), and
it is offered only when it parses to the same policy and the successor's
report domain accepts reports for this domain (RFC 7489 7.1: a TXT record
`v=DMARC1` at `<policy domain>._report._dmarc.<report domain>`), or else
receivers would quietly send nothing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tracker.probe.dmarc import DmarcSyntaxError, is_dmarc_record, parse_dmarc
from tracker.probe.domains import registrable_domain
from tracker.probe.findings import NOW, QUIET, Advice, CheckResult, LegacyReference, Recorder, ReportError

if TYPE_CHECKING:
    from tracker.probe.campaign import Service
    from tracker.probe.check_context import CheckContext

_MAILTO = re.compile(r"^mailto:[^@\s]+@([^@\s!?]+)(![0-9]+[kmgt]?)?$", re.IGNORECASE)


def skip_reason(campaign) -> str | None:
    if not campaign.legacy.mail_domains:
        return "the campaign lists no legacy.mail_domains"
    return None


def mailbox_domain(uri: str) -> str | None:
    match = _MAILTO.match(uri.strip())
    return match.group(1).lower() if match else None


def on_legacy(uri: str, legacy: Service) -> bool:
    domain = mailbox_domain(uri)
    return domain is not None and legacy.matches_mail_domain(domain)


def _uris(value: str | None) -> list[str]:
    return [uri.strip() for uri in (value or "").split(",") if uri.strip()]


async def check(context: CheckContext) -> CheckResult:
    campaign, domain = context.campaign, context.domain
    result = CheckResult("dmarc-report")
    dmarc = await context.dmarc()
    if dmarc is None:
        result.failures.append(ReportError(f"_dmarc.{domain}", "TXT", "the DMARC check did not finish"))
        return result
    # Its lookups are DMARC's: shown here too, since a failed one may hide a report address.
    looked = [f"_dmarc.{name} TXT" for name in (dmarc.dmarcbis.queried if dmarc.dmarcbis else [])]
    result.looked_up.extend(dict.fromkeys([f"_dmarc.{domain} TXT", *looked]))
    result.failures.extend(ReportError.from_answer(answer) for answer in dmarc.failures)
    parsed = dmarc.parsed
    if parsed is None or dmarc.policy_domain is None:
        return result
    name = f"_dmarc.{dmarc.policy_domain}"
    path = (domain, name)
    legacy_tags = {}
    for tag in ("rua", "ruf"):
        found = [uri for uri in _uris(parsed.tags.get(tag)) if on_legacy(uri, campaign.legacy)]
        result.references.extend(
            LegacyReference("dmarc-report", f"{tag}={uri}", path, QUIET) for uri in found
        )
        legacy_tags[tag] = found
    if any(legacy_tags.values()):
        recorder = Recorder(context.resolver)
        result.advice.append(
            await _advice(recorder, name, dmarc.policy_domain, parsed, legacy_tags, campaign)
        )
        result.took(recorder)
    return result


def rewrite(text: str, replacements: dict[str, list[str]]) -> str:
    """The record with each tag in `replacements` set to those URIs (dropped when empty), the rest as written."""
    parts = [part for part in text.split(";")]
    out = []
    for part in parts:
        tag = part.partition("=")[0].strip().lower()
        if tag in replacements:
            uris = replacements.pop(tag)
            if uris:
                out.append(f" {tag}={','.join(uris)}")
        else:
            out.append(part)
    text = ";".join(out).rstrip()
    for tag, uris in replacements.items():  # tags the record did not have yet
        if uris:
            text = text.rstrip(";") + f"; {tag}={','.join(uris)}"
    return text.strip()


async def _advice(recorder: Recorder, name, policy_domain, parsed, legacy_tags, campaign) -> Advice:
    current = (parsed.text,)

    def withheld(reason: str) -> Advice:
        return Advice("dmarc-report", name, "TXT", current, None, NOW, withheld=reason)

    successor_rua = list(campaign.successor.dmarc_rua or ())
    replacements = {}
    if legacy_tags["rua"]:
        if not successor_rua:
            return withheld("the campaign names no successor.dmarc_rua: point rua= at a mailbox that stays")
        kept = [uri for uri in _uris(parsed.tags.get("rua")) if uri not in legacy_tags["rua"]]
        replacements["rua"] = list(dict.fromkeys([*kept, *successor_rua]))
    if legacy_tags["ruf"]:
        replacements["ruf"] = [uri for uri in _uris(parsed.tags.get("ruf")) if uri not in legacy_tags["ruf"]]
    text = rewrite(parsed.text, dict(replacements))
    try:
        again = parse_dmarc(text)
    except DmarcSyntaxError as exc:
        return withheld(f"the rewritten record would be invalid: {exc}")
    others = {tag: value for tag, value in parsed.tags.items() if tag not in ("rua", "ruf")}
    if (
        not is_dmarc_record(text)
        or {t: v for t, v in again.tags.items() if t not in ("rua", "ruf")} != others
    ):
        return withheld("the rewritten record would change the policy: edit the report addresses by hand")
    if any(on_legacy(uri, campaign.legacy) for tag in ("rua", "ruf") for uri in _uris(again.tags.get(tag))):
        return withheld("successor.dmarc_rua is itself on the legacy service")
    for uri in replacements.get("rua", []):
        if uri in successor_rua:
            reason = await _authorization_problem(recorder, policy_domain, uri)
            if reason:
                return withheld(reason)
    return Advice("dmarc-report", name, "TXT", current, (text,), NOW)


async def _authorization_problem(recorder: Recorder, policy_domain: str, uri: str) -> str | None:
    """RFC 7489 7.1: a report domain outside the policy's organization must say it takes the reports."""
    report_domain = mailbox_domain(uri)
    if report_domain is None:
        return f"{uri} is not a mailto: address"
    if registrable_domain(report_domain) == registrable_domain(policy_domain):
        return None
    name = f"{policy_domain}._report._dmarc.{report_domain}"
    answer = await recorder.query(name, "TXT")
    if answer.failed:
        return (
            f"could not verify that {report_domain} accepts the reports ({name} TXT: {answer.failure_reason})"
        )
    if answer.void or not any(is_dmarc_record(text) for text in answer.records):
        return (
            f"{report_domain} does not accept DMARC reports for {policy_domain} (no v=DMARC1 record at "
            f"{name}, RFC 7489 7.1): receivers would send nothing"
        )
    return None
