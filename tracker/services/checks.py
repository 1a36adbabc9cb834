"""Storing check results as history spans: the one writer of `Check` and `DomainState`.

`record_report()` is the one way a probe result enters the database: it extends
the latest `Check` span when nothing changed (same fingerprint), inserts a new
span otherwise, and updates the domain's `DomainState`. The timeline that reads
the spans back is `tracker.queries.timeline`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from tracker.choices import Verdict
from tracker.models import Check, DomainState
from tracker.probe.stored import StoredReport
from tracker.services.bulk import bulk_insert, bulk_update

# Keys that change on every probe without the DNS changing (`timing`: dates the engine derives
# from the check time, such as when an MTA-STS policy's max_age runs out).
VOLATILE_KEYS = ("checked_at", "timing")


def normalized_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report without timestamps, with lists whose order carries no meaning sorted."""
    data = {key: value for key, value in report.items() if key not in VOLATILE_KEYS}
    data["errors"] = sorted(report.get("errors") or [], key=lambda e: json.dumps(e, sort_keys=True))
    data["legacy_references"] = sorted(
        report.get("legacy_references") or [], key=lambda r: json.dumps(r, sort_keys=True)
    )
    return data


def report_fingerprint(report: dict[str, Any]) -> str:
    text = json.dumps(normalized_report(report), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def state_facts(report: dict[str, Any]) -> dict[str, Any]:
    """The DomainState columns a conclusive report decides."""
    stored = StoredReport(report)
    spf, dmarc = stored.spf, stored.dmarc
    return {
        "on_successor": stored.on_successor,
        "breaks_on_legacy_removal": spf.breaks_on_legacy_removal,
        "has_legacy_mx": stored.has_legacy_mx,
        "has_legacy_spf_include": stored.has_legacy_spf_pointer,
        "has_legacy_spf_ip": stored.has_legacy_spf_address,
        "reference_kinds": stored.reference_kinds,
        "reference_breaks": stored.reference_breaks,
        "has_spf": None if stored.spf_lookup_failed and not spf.record else bool(spf.record),
        "spf_lookups": spf.dns_lookups,
        "has_dmarc": None if stored.dmarc_lookup_failed and not dmarc.record else bool(dmarc.record),
        "dmarc_policy": dmarc.policy or "",
        "deprecated_tags": list(dmarc.deprecated_tags),
    }


@dataclass
class Recorded:
    """What storing one report did: the span, the state, and the state before."""

    check: Check
    state: DomainState
    previous_verdict: str | None
    new_span: bool


def record_report(
    campaign, domain, report: dict[str, Any], *, sweep=None, now=None, rules_key: str = ""
) -> Recorded:
    """Store one domain report as history and current state (call inside a transaction)."""
    keys = {domain.pk: rules_key} if rules_key else None
    return record_reports(campaign, [(domain, report)], sweep=sweep, now=now, rules_keys=keys)[0]


STATE_FIELDS = [
    "latest_check",
    "verdict",
    "last_conclusive_verdict",
    "previous_conclusive_verdict",
    "conclusive_changed_at",
    "last_checked_at",
    "verdict_changed_at",
    "consecutive_inconclusive",
    "error_count",
    "rules_key",
    *state_facts({"domain": ""}).keys(),
]


@dataclass(frozen=True, slots=True)
class StoredState:
    """A state row as far as telling an unchanged check needs: its latest span and rules key."""

    pk: int
    latest_check_id: int | None
    rules_key: str


def lock_states(campaign, domain_ids: list[int]) -> dict[int, StoredState]:
    """Lock these domains' state rows until the transaction ends, and read them as plain tuples.

    In domain order, like every store, so two sweeps storing the same domains at once
    wait for each other instead of deadlocking.
    """
    rows = (
        DomainState.objects.select_for_update()
        .filter(campaign=campaign, domain_id__in=domain_ids)
        .order_by("domain_id")
        .values_list("domain_id", "pk", "latest_check_id", "rules_key")
    )
    return {domain_id: StoredState(pk, check_id, key) for domain_id, pk, check_id, key in rows}


def extend_unchanged(states: list[StoredState], now) -> None:
    """These checks found what their domain's latest span says: extend the spans, nothing else."""
    _touch([state.latest_check_id for state in states], [(state.pk, None) for state in states], now)


def _locked_states(campaign, domains, reports, *, create_missing: bool = True) -> dict[int, DomainState]:
    """The domains' state rows, created if missing, locked until the transaction ends.

    Locking them first makes two sweeps storing the same domain at once
    serialize instead of both extending (or both inserting) a span.
    """

    def locked():
        rows = (
            DomainState.objects.select_for_update(of=("self",))
            .select_related("latest_check")
            .defer("latest_check__report")  # only its fingerprint is compared; reports are big
            .filter(campaign=campaign, domain__in=[d.pk for d in domains])
            .order_by("domain_id")
        )
        return {state.domain_id: state for state in rows}

    states = locked()
    if not create_missing:
        return states
    missing = [(d, r) for d, r in zip(domains, reports, strict=True) if d.pk not in states]
    if missing:
        DomainState.objects.bulk_create(
            [DomainState(campaign=campaign, domain=d, verdict=r["verdict"]) for d, r in missing],
            ignore_conflicts=True,
        )
        states = locked()
    return states


def record_reports(
    campaign, items, *, sweep=None, now=None, rules_keys=None, fingerprints=None
) -> list[Recorded]:
    """Store many (domain, report) pairs in a few queries: one span each, extended when unchanged.

    Call inside a transaction. Unchanged results cost no row: their span's
    last_seen_at and times_seen move on, in one UPDATE for all of them.
    Domains seen for the first time get their state in one INSERT.
    `rules_keys` ({domain id: key}): the caller runs the follow-up rules on these
    reports in this transaction; their states remember it (else they forget any key).
    `fingerprints` ({domain id: fingerprint}): when the caller has computed them already.
    """
    now = now or timezone.now()
    domains = [domain for domain, _ in items]
    reports = [report for _, report in items]
    rules_keys = rules_keys or {}
    fingerprints = fingerprints or {domain.pk: report_fingerprint(report) for domain, report in items}
    states = _locked_states(campaign, domains, reports, create_missing=False)
    if len(states) == len(domains):
        return _record_reports(campaign, items, sweep, now, states, rules_keys, fingerprints)
    try:
        with transaction.atomic():
            return _record_reports(campaign, items, sweep, now, states, rules_keys, fingerprints)
    except IntegrityError:
        # Another sweep created some of these states meanwhile: lock theirs and update them.
        states = _locked_states(campaign, domains, reports)
        return _record_reports(campaign, items, sweep, now, states, rules_keys, fingerprints)


def _record_reports(
    campaign, items, sweep, now, states: dict[int, DomainState], rules_keys, fingerprints
) -> list[Recorded]:
    extended: list[int] = []
    new_checks: list[Check] = []
    pending = []
    for domain, report in items:
        state = states.get(domain.pk) or DomainState(
            campaign=campaign, domain=domain, verdict=report["verdict"]
        )
        previous_verdict = state.verdict if state.last_checked_at else None
        fingerprint = fingerprints[domain.pk]
        latest = state.latest_check
        if latest is not None and latest.fingerprint == fingerprint:
            extended.append(latest.pk)
            latest.last_seen_at, latest.times_seen = now, latest.times_seen + 1
            check = latest
        else:
            check = Check(
                campaign=campaign,
                domain=domain,
                sweep=sweep,
                verdict=report["verdict"],
                fingerprint=fingerprint,
                report=report,
                first_seen_at=now,
                last_seen_at=now,
            )
            new_checks.append(check)
        pending.append((state, report, check, previous_verdict, check is not latest))
    if new_checks:
        bulk_insert(new_checks)
    recorded = []
    only_checked: list[tuple[int, str | None]] = []  # (state, new rules key or None): nothing else moved
    changed_states: list[DomainState] = []
    new_states: list[DomainState] = []
    for state, report, check, previous_verdict, new_span in pending:
        rules_key = rules_keys.get(state.domain_id, "")
        if state.pk is None:
            _update_state(state, report, check, now, previous_verdict, rules_key)
            new_states.append(state)
            recorded.append(Recorded(check=check, state=state, previous_verdict=None, new_span=True))
            continue
        before = _state_values(state)
        _update_state(state, report, check, now, previous_verdict, rules_key)
        changed = [name for name, value in _state_values(state).items() if before[name] != value]
        # Usually only the check time (and maybe the rules key) moves: one narrow UPDATE for
        # all of those; the states whose facts changed get one UPDATE together.
        if set(changed) <= {"last_checked_at", "rules_key"}:
            only_checked.append((state.pk, state.rules_key if "rules_key" in changed else None))
        else:
            changed_states.append(state)
        recorded.append(
            Recorded(check=check, state=state, previous_verdict=previous_verdict, new_span=new_span)
        )
    _touch(extended, only_checked, now)
    bulk_update(changed_states, STATE_FIELDS)
    if new_states:
        bulk_insert(new_states)  # IntegrityError if another sweep was first
    return recorded


def _touch(check_ids: list[int], states: list[tuple[int, str | None]], now) -> None:
    """Extend these spans (last_seen_at, times_seen); set these states' check time, and rules key if not None."""
    if not check_ids and not states:
        return
    if connection.vendor == "postgresql":
        _touch_pg(check_ids, states, now)
        return
    Check.objects.filter(pk__in=check_ids).update(last_seen_at=now, times_seen=F("times_seen") + 1)
    DomainState.objects.filter(pk__in=[pk for pk, key in states if key is None]).update(last_checked_at=now)
    for pk, key in states:
        if key is not None:
            DomainState.objects.filter(pk=pk).update(last_checked_at=now, rules_key=key)


def _touch_pg(check_ids: list[int], states: list[tuple[int, str | None]], now) -> None:
    """The same rows as the portable `.update()`s, in one statement with array parameters.

    One round trip, and arrays instead of `IN` lists of 500 (parsed and quoted client-side).
    No index holds the columns written and the tables leave room in their pages
    (migration 0003), so PostgreSQL writes these rows in place (HOT), no index entry.
    """
    checks, state_table = Check._meta.db_table, DomainState._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'WITH spans AS (UPDATE "{checks}" SET "last_seen_at" = %s, "times_seen" = "times_seen" + 1'
            f' WHERE "id" = ANY(%s::bigint[]))'
            f' UPDATE "{state_table}" AS s SET "last_checked_at" = %s, "rules_key" = COALESCE(v.key, s.rules_key)'
            f" FROM unnest(%s::bigint[], %s::text[]) AS v(id, key) WHERE s.id = v.id",
            [now, check_ids, now, [pk for pk, _ in states], [key for _, key in states]],
        )


def _state_values(state: DomainState) -> dict[str, Any]:
    values = {name: getattr(state, name) for name in STATE_FIELDS if name != "latest_check"}
    values["latest_check"] = state.latest_check.pk if state.latest_check is not None else None
    return values


def _update_state(
    state: DomainState, report: dict, check: Check, now, previous_verdict, rules_key=""
) -> None:
    verdict = report["verdict"]
    state.latest_check = check
    state.rules_key = rules_key
    if previous_verdict != verdict:
        state.verdict_changed_at = now
    state.verdict = verdict
    state.last_checked_at = now
    state.error_count = len(report.get("errors") or [])
    if verdict == Verdict.INCONCLUSIVE:
        # Keep the last known facts (e.g. "breaks on removal"): a failed lookup proves nothing.
        state.consecutive_inconclusive += 1
    else:
        state.consecutive_inconclusive = 0
        if state.last_conclusive_verdict != verdict:
            state.previous_conclusive_verdict = state.last_conclusive_verdict
            state.conclusive_changed_at = now
        state.last_conclusive_verdict = verdict
        for name, value in state_facts(report).items():
            setattr(state, name, value)
