"""MTA-STS (RFC 8461, kind `mta-sts`): the policy senders hold, fetched for real.

`_mta-sts.<domain>` TXT, then the policy over HTTPS from the address our
resolver gives for `mta-sts.<domain>` (https_get.py: certificate checked, size
and time bounded). What can break:

- an `enforce` policy whose `mx:` patterns cover the legacy hosts but not the
  successor's: from the MX move on, senders that honour MTA-STS refuse the
  mail until the policy is updated and its `max_age` has run out (`mx_move`);
  in `testing` mode they only report failures (`quiet`); beside patterns that
  cover the successor, a legacy pattern is a leftover (`nothing`);
- the TXT record or the policy host living on the legacy service (a CNAME
  into its hosts, or an address in its ranges): when it stops, the policy can
  no longer be fetched or changed (`end_date`).

A fetch that fails (timeout, refused, untrusted certificate, 5xx, too large)
leaves the policy unknown: the check is incomplete and the domain never
`clean`. An HTTP 3xx/4xx is an answer: no policy is served (senders follow no
redirect). The advice: the new policy (the current patterns plus the
successor's) with a new `id`, published and waited out BEFORE the MX move.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from tracker.probe.findings import (
    AFTER_MX_MOVE,
    BEFORE_MX_MOVE,
    END_DATE,
    MX_MOVE,
    NOTHING,
    QUIET,
    Advice,
    CheckResult,
    LegacyReference,
    Recorder,
)
from tracker.probe.hosting import locate
from tracker.probe.https_get import https_get
from tracker.probe.mta_sts_policy import (
    MAX_POLICY_BYTES,
    Policy,
    PolicyError,
    StsRecord,
    covers_service_patterns,
    is_sts_record,
    matching_pattern,
    new_policy_id,
    parse_policy,
    parse_sts_record,
    pattern_covers_service,
    pattern_matches,
    policy_text,
    sts_record_text,
)

if TYPE_CHECKING:
    from tracker.probe.campaign import Campaign
    from tracker.probe.check_context import CheckContext
    from tracker.probe.mx import MxAnalysis

POLICY_PATH = "/.well-known/mta-sts.txt"
MAX_POLICY_TEXT_SHOWN = 4096


def skip_reason(campaign) -> str | None:
    if campaign.legacy.hosts is None:
        return "the campaign does not list legacy.hosts (the legacy service's other servers)"
    return None


def duration(seconds: int) -> str:
    """max_age in words a rep can pass on: "7 days", "1 day 2 hours", "90 seconds"."""
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    if not days and not hours:
        return f"{seconds} seconds"
    parts = [f"{days} day{'s' * (days != 1)}"] if days else []
    if hours:
        parts.append(f"{hours} hour{'s' * (hours != 1)}")
    return " ".join(parts)


def policy_url(domain: str) -> str:
    return f"https://mta-sts.{domain}{POLICY_PATH}"


async def check(context: CheckContext) -> CheckResult:
    domain = context.domain
    recorder = Recorder(context.resolver)
    result = CheckResult("mta-sts")
    details: dict[str, Any] = {
        "txt_name": f"_mta-sts.{domain}",
        "txt_record": None,
        "id": None,
        "policy_host": f"mta-sts.{domain}",
        "policy_host_aliases": [],
        "policy_host_addresses": [],
        "policy_url": policy_url(domain),
        "http_status": None,
        "policy": None,
        "policy_text": None,
        "covers_legacy": None,
        "covers_successor": None,
        "error": None,
        "warnings": [],
    }
    result.details = details
    await _fetch_and_judge(context, recorder, result, details)
    return result.took(recorder)


async def _fetch_and_judge(context: CheckContext, recorder: Recorder, result: CheckResult, details) -> None:
    domain, legacy = context.domain, context.campaign.legacy
    txt_name, host = details["txt_name"], details["policy_host"]
    answer = await recorder.query(txt_name, "TXT")
    if answer.failed:
        details["error"] = f"{txt_name} TXT lookup failed: {answer.failure_reason}"
        return
    alias = next((a for a in answer.aliases if legacy.matches_host(a)), None)
    if alias is not None:
        result.references.append(
            LegacyReference("mta-sts", f"{txt_name} -> {alias}", (domain, txt_name), END_DATE)
        )
    records = [text for text in answer.records if is_sts_record(text)] if not answer.void else []
    if not records:
        return  # no MTA-STS: nothing to fetch, nothing to break
    if len(records) > 1:
        details["error"] = f"{len(records)} v=STSv1 records: senders assume there is no policy (RFC 8461 3.1)"
        return
    details["txt_record"] = records[0]
    try:
        record = parse_sts_record(records[0])
    except PolicyError as exc:
        details["error"] = f"invalid {txt_name} record (senders assume no policy): {exc}"
        return
    details["id"] = record.id

    place = await locate(recorder, host, ["A", "AAAA"])
    details["policy_host_aliases"], details["policy_host_addresses"] = place.aliases, place.addresses
    host_alias = place.legacy_alias(legacy)
    path = (domain, host)
    if host_alias is not None:
        result.references.append(LegacyReference("mta-sts", f"{host} -> {host_alias}", path, END_DATE))
    else:
        result.references.extend(
            LegacyReference("mta-sts", f"{host} ({address})", path, END_DATE)
            for address in place.addresses_in(legacy)
        )
    if host_alias is not None or place.addresses_in(legacy):
        result.advice.append(_rehost_advice(host, place.aliases))
    if not place.addresses:
        if not place.failed:
            details["error"] = f"{host} has no address: senders cannot fetch the policy"
        return

    response = await https_get(host, POLICY_PATH, place.addresses, context.https)
    recorder.note(host, "HTTPS", response.error)
    if response.error is not None:
        details["error"] = f"policy fetch failed: {response.error}"
        return
    details["http_status"] = response.status
    if response.status >= 500:  # server trouble, like SERVFAIL: the policy is unknown, not absent
        recorder.note(host, "HTTPS", f"HTTP {response.status}")
        details["error"] = f"policy fetch failed: HTTP {response.status}"
        return
    if response.status != 200:
        why = (
            "a redirect, which senders must not follow (RFC 8461 3.3)" if 300 <= response.status < 400 else ""
        )
        details["error"] = f"HTTP {response.status}{': ' + why if why else ''}: senders get no policy"
        return
    if not response.content_type.lower().startswith("text/plain"):
        details["warnings"].append(
            f"served as {response.content_type or 'no media type'!r}, not text/plain: senders may reject it"
        )
    text = response.body.decode("utf-8", errors="replace")
    details["policy_text"] = text[:MAX_POLICY_TEXT_SHOWN]
    try:
        policy = parse_policy(text)
    except PolicyError as exc:
        details["error"] = f"invalid policy (senders ignore it): {exc}"
        return
    details["policy"] = policy.to_json()
    details["warnings"].extend(policy.warnings)
    mx = await context.mx()
    _judge(context, result, details, record, policy, mx)


def _legacy_mx_hosts(mx: MxAnalysis | None) -> set[str]:
    """The domain's MX hosts known to be the legacy service's (by name or by address)."""
    if mx is None:
        return set()
    return {ref.value.split(" ", 1)[0] for ref in mx.references}


def covers_legacy(pattern: str, campaign: Campaign, mx: MxAnalysis | None) -> bool:
    """The pattern matches legacy hosts: the campaign's legacy MX patterns, or a current legacy MX host."""
    return pattern_covers_service(pattern, campaign.legacy.mx_hosts) or any(
        pattern_matches(pattern, host) for host in _legacy_mx_hosts(mx)
    )


def covers_successor(policy_mx, campaign: Campaign, mx: MxAnalysis | None) -> bool:
    """Senders would accept the successor's MX: every current host once moved, else every successor pattern."""
    if mx is not None and mx.all_successor is True and mx.hosts:
        return all(matching_pattern(host, list(policy_mx)) for host in mx.hosts)
    return covers_service_patterns(list(policy_mx), campaign.successor.mx_hosts)


def _judge(context, result: CheckResult, details, record: StsRecord, policy: Policy, mx) -> None:
    domain, campaign = context.domain, context.campaign
    path = (domain, details["policy_host"])
    legacy_patterns = [pattern for pattern in policy.mx if covers_legacy(pattern, campaign, mx)]
    successor = covers_successor(policy.mx, campaign, mx)
    details["covers_legacy"], details["covers_successor"] = bool(legacy_patterns), successor
    # A sender that fetched this policy at the check time may hold it max_age longer: were it
    # replaced right now, every sender has dropped it by then.
    dropped_by = context.now + dt.timedelta(seconds=policy.max_age)
    result.timing["mta_sts_policy_dropped_by"] = dropped_by.isoformat(timespec="seconds")
    if policy.mode == "none":
        return
    if mx is not None and policy.mode == "enforce":
        refused = [host for host in mx.hosts if matching_pattern(host, list(policy.mx)) is None]
        if refused:
            details["warnings"].append(
                f"the policy does not match the current MX host(s) {', '.join(refused)}: senders that "
                "honour MTA-STS refuse mail to them now"
            )
    if legacy_patterns:
        breaks = NOTHING if successor else (MX_MOVE if policy.mode == "enforce" else QUIET)
        result.references.extend(
            LegacyReference("mta-sts", f"mx: {p}", path, breaks) for p in legacy_patterns
        )
    if not successor:
        result.advice.extend(_add_successor(context, details, record, policy, mx, result))
    elif legacy_patterns and mx is not None and mx.all_successor is True:
        result.advice.extend(_drop_legacy(context, details, record, policy, legacy_patterns, mx))


def _add_successor(
    context, details, record: StsRecord, policy: Policy, mx, result: CheckResult
) -> list[Advice]:
    campaign, url = context.campaign, details["policy_url"]
    current = (details["policy_text"] or "",)
    if not campaign.successor.mx_hosts:
        reason = (
            "the campaign lists no successor.mx_hosts: add the successor's MX hosts to the policy by hand"
        )
        return [Advice("mta-sts", url, "policy", current, None, BEFORE_MX_MOVE, withheld=reason)]
    patterns = list(dict.fromkeys([*policy.mx, *campaign.successor.mx_hosts]))
    text = policy_text(policy.mode, patterns, policy.max_age)
    problem = _verify(text, policy, campaign, mx, need_successor=True)
    if problem:
        return [Advice("mta-sts", url, "policy", current, None, BEFORE_MX_MOVE, withheld=problem)]
    new_id = new_policy_id(text, record.id)
    move_after = context.now + dt.timedelta(seconds=policy.max_age)
    result.timing["mx_move_not_before"] = move_after.isoformat(timespec="seconds")
    wait = f"max_age ({duration(policy.max_age)})"
    return [
        Advice(
            "mta-sts",
            url,
            "policy",
            current,
            (text,),
            BEFORE_MX_MOVE,
            note="1. serve this policy (the current hosts and the successor's) at this URL",
        ),
        Advice(
            "mta-sts",
            details["txt_name"],
            "TXT",
            (record.text,),
            (sts_record_text(record, new_id),),
            BEFORE_MX_MOVE,
            note=(
                "2. then change the id, so senders fetch the new policy; 3. move MX only once "
                f"the old policy's {wait} has passed since (senders may keep it that long)"
            ),
        ),
    ]


def _drop_legacy(context, details, record: StsRecord, policy: Policy, legacy_patterns, mx) -> list[Advice]:
    url = details["policy_url"]
    patterns = [pattern for pattern in policy.mx if pattern not in legacy_patterns]
    text = policy_text(policy.mode, patterns, policy.max_age)
    current = (details["policy_text"] or "",)
    problem = _verify(text, policy, context.campaign, mx, need_successor=True)
    if problem:
        return [Advice("mta-sts", url, "policy", current, None, AFTER_MX_MOVE, withheld=problem)]
    new_id = new_policy_id(text, record.id)
    return [
        Advice(
            "mta-sts",
            url,
            "policy",
            current,
            (text,),
            AFTER_MX_MOVE,
            note="the legacy hosts are no longer needed",
        ),
        Advice(
            "mta-sts",
            details["txt_name"],
            "TXT",
            (record.text,),
            (sts_record_text(record, new_id),),
            AFTER_MX_MOVE,
            note="after the new policy is served: change the id so senders fetch it",
        ),
    ]


def _verify(text: str, old: Policy, campaign: Campaign, mx, need_successor: bool) -> str | None:
    """Offered only as it reads back: same mode and max_age, the successor and today's hosts still matched."""
    if len(text.encode()) > MAX_POLICY_BYTES:
        return f"the new policy would be over {MAX_POLICY_BYTES} bytes: shorten the mx list by hand"
    try:
        new = parse_policy(text)
    except PolicyError as exc:
        return f"the new policy would be invalid: {exc}"
    if new.mode != old.mode or new.max_age != old.max_age:
        return "the new policy would change the mode or max_age"
    if need_successor and not covers_successor(new.mx, campaign, mx):
        return "the new policy would still not match every successor MX host"
    today = [host for host in (mx.hosts if mx else []) if matching_pattern(host, list(old.mx))]
    lost = [host for host in today if matching_pattern(host, list(new.mx)) is None]
    if lost:
        return f"the new policy would no longer match the current MX host(s) {', '.join(lost)}"
    return None


def _rehost_advice(host: str, aliases: list[str]) -> Advice:
    current = (f"CNAME {aliases[0]}.",) if aliases else ()
    return Advice(
        "mta-sts",
        host,
        "CNAME",
        current,
        None,
        BEFORE_MX_MOVE,
        withheld=(
            f"{host} is served by the legacy service: serve the policy from a web server that stays "
            "(with a certificate for this name) before the legacy service stops"
        ),
    )


# -- between two reports (for the Django side, which keeps the history) ---------------------------


def policy_change(previous: dict | None, current: dict) -> dict[str, Any]:
    """What changed in the MTA-STS policy between two reports of one domain, and when the old one is gone.

    `old_policy_dropped_by`: senders that fetched the previous policy drop it at
    the latest its max_age after the current check (the change happened before
    it). Same id with another policy: senders that cached the old one have no
    reason to fetch again before it expires, so the warning says to bump the id.
    """
    before = (previous or {}).get("mta_sts") or {}
    after = current.get("mta_sts") or {}
    old_policy, new_policy = before.get("policy"), after.get("policy")
    id_changed = before.get("id") is not None and before.get("id") != after.get("id")
    policy_changed = old_policy is not None and old_policy != new_policy
    dropped_by = None
    if old_policy is not None and (id_changed or policy_changed):
        checked = dt.datetime.fromisoformat(current["checked_at"])
        dropped_by = (checked + dt.timedelta(seconds=old_policy["max_age"])).isoformat(timespec="seconds")
    warning = None
    if policy_changed and not id_changed and before.get("id") is not None:
        warning = (
            f"the policy changed but its id ({before['id']}) did not: senders that cached the old policy "
            "keep it until it expires; publish a new id"
        )
    return {
        "id_changed": id_changed,
        "policy_changed": policy_changed,
        "old_policy_dropped_by": dropped_by,
        "warning": warning,
    }
