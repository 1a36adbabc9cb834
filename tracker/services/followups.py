"""Follow-up rules: after each check, open, refresh, close as fixed or reopen follow-up tasks.

Each rule looks at one stored report and says whether its problem is present
(with the evidence) for that domain. `followups_apply()` then:
- opens a task for a present problem, or refreshes the evidence of the active
  one (never a duplicate: there is a database constraint too);
- reopens the latest task closed by a check when the problem comes back;
  a task closed by hand stays closed while the evidence is what the rep saw;
- closes an active task as fixed when a check that could see the problem shows
  it gone, keeping that check's findings as `closing_evidence`;
- reopens a task waiting for DNS (marked done while the problem was still
  there) when a check after the customer's expected change time still sees it.
A check with failed lookups never closes anything: a timeout is not a fix.
People's steps (done, waiting for DNS, snooze, reopen) are `tracker.services.tasks`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

from customers.choices import MigrationStatus
from tracker.choices import TaskEventKind, TaskKind, TaskStatus, Verdict
from tracker.common.business_days import CALENDAR
from tracker.models import DomainState, FollowUpTask, TaskEvent
from tracker.probe.limits import SPF_MAX_DNS_LOOKUPS
from tracker.probe.stored import StoredReport
from tracker.queries.evidence import spf_failures
from tracker.services.bulk import bulk_insert, bulk_update

INCONCLUSIVE_IN_A_ROW = 3
# Days an operations task (DNS trouble) is given; a rep task without a campaign date left gets a week.
OPS_TASK_DAYS = 1
REP_TASK_DAYS_AFTER_DEADLINES = 7


def due_date_for(campaign, today: dt.date, kind: TaskKind) -> dt.date:
    """In business days: never on a weekend, a public holiday or the New Year closure."""
    if kind.for_ops:
        return CALENDAR.add(today, OPS_TASK_DAYS)
    deadline = campaign.next_deadline(today)
    if deadline is not None:
        # A deadline on a holiday is due the business day before (or today, if that has passed).
        return max(CALENDAR.on_or_before(deadline), CALENDAR.on_or_after(today))
    return CALENDAR.on_or_after(today + dt.timedelta(days=REP_TASK_DAYS_AFTER_DEADLINES))


# -- rules -------------------------------------------------------------------------------------------


@dataclass
class Finding:
    """A rule's answer: is the problem there, and can this report tell (else: leave tasks alone)."""

    present: bool
    evidence: dict[str, Any]
    decisive: bool = True


def _spf_terms(report: StoredReport) -> list[dict]:
    return [
        {
            "kind": ref.kind,
            "term": ref.term,
            "path": list(ref.path),
            "record_domain": ref.holder or report.domain,
            "record": report.spf.record_at(ref.holder or report.domain),
        }
        for ref in report.spf_references
    ]


def rule_legacy_spf(report: StoredReport, customer) -> Finding:
    """Legacy SPF terms; the record to publish is kept only when the engine verified it."""
    spf = report.spf
    terms = _spf_terms(report)
    verified = spf.advice.verified and bool(spf.suggested_record)
    failure = spf_failures(report)[:1]
    return Finding(
        present=bool(terms),
        evidence={
            "terms": terms,
            "record": spf.record,
            "suggested_record": spf.suggested_record if verified else None,
            "suggested_for": spf.suggested_for if verified else None,
            "removal_leaves_valid_record": verified,
            "advice": {
                "status": spf.advice.status,
                "reasons": list(spf.advice.reasons),
                "message": spf.advice.message,
                "records": [dict(record) for record in spf.advice.records] if verified else [],
            },
            "failed_lookup": {"name": failure[0].name, "type": failure[0].type, "error": failure[0].error}
            if failure
            else None,
            "breaks_on_legacy_removal": spf.breaks_on_legacy_removal,
        },
    )


def rule_legacy_mx(report: StoredReport, customer) -> Finding:
    refs = report.mx_references
    return Finding(
        present=bool(refs),
        evidence={
            "hosts": list(report.mx.hosts),
            "legacy_hosts": sorted({ref.value for ref in refs}),
            "references": [{"kind": r.kind, "value": r.value, "path": list(r.path)} for r in refs],
        },
    )


def rule_status_conflict(report: StoredReport, customer) -> Finding:
    migrated = customer.status == MigrationStatus.MIGRATED
    return Finding(
        present=migrated and report.verdict == Verdict.LEGACY,
        evidence={
            "customer_status": customer.status,
            "verdict": report.verdict,
            "references": report.data.get("legacy_references") or [],
        },
    )


def rule_spf_lookups(report: StoredReport, customer) -> Finding:
    lookups = report.spf.dns_lookups
    over_now = lookups is not None and lookups > SPF_MAX_DNS_LOOKUPS
    advice = report.spf.advice
    would_exceed = advice.withheld_for_lookups and not over_now
    return Finding(
        present=over_now or would_exceed,
        evidence={
            "record": report.spf.record,
            "dns_lookups": lookups,
            "exceeds": over_now,
            "suggestion_would_exceed": would_exceed,
            "notes": [advice.message] if would_exceed else [],
        },
    )


def rule_unregistered(report: StoredReport, customer) -> Finding:
    return Finding(present=report.verdict == Verdict.UNREGISTERED, evidence={"domain": report.domain})


# The task for each of the other reference kinds (the engine's check of the same name finds them).
REFERENCE_TASKS = {
    "mta-sts": TaskKind.LEGACY_MTA_STS,
    "tls-rpt": TaskKind.LEGACY_TLS_RPT,
    "dmarc-report": TaskKind.LEGACY_DMARC_REPORT,
    "dkim": TaskKind.LEGACY_DKIM,
    "client-host": TaskKind.LEGACY_CLIENT_HOST,
    "srv": TaskKind.LEGACY_SRV,
    "tlsa": TaskKind.LEGACY_TLSA,
}
_ADVICE_KEYS = ("name", "type", "current", "suggested", "when", "note", "withheld")


def rule_reference(reference_kind: str):
    """The rule for one reference kind: its references, the engine's advice for them, the order of work.

    The advice is the engine's, verified there before it names a record (`suggested`);
    where it could not verify one, `withheld` says why and the task only says what to
    change. The problem is gone only if that kind's check ran and every lookup answered.
    """

    def rule(report: StoredReport, customer) -> Finding:
        refs = report.references_of((reference_kind,))
        check = (report.data.get("checks") or {}).get(reference_kind) or {}
        ran = bool(check) and not check.get("skipped") and not check.get("failed")
        advice = [
            {key: item.get(key) for key in _ADVICE_KEYS}
            for item in report.data.get("advice") or []
            if item.get("kind") == reference_kind
        ]
        evidence = {
            "reference_kind": reference_kind,
            "references": [
                {"value": ref.value, "path": list(ref.path), "breaks": ref.breaks} for ref in refs
            ],
            "breaks": sorted({ref.breaks for ref in refs if ref.breaks}),
            "advice": advice,
        }
        timing = report.data.get("timing") or {}
        if reference_kind == "mta-sts" and timing.get("mx_move_not_before"):
            # Publish the new policy, change the id, then wait out max_age before moving MX.
            evidence["mx_move_not_before"] = timing["mx_move_not_before"][:10]
        return Finding(present=bool(refs), evidence=evidence, decisive=ran)

    rule.__name__ = f"rule_{reference_kind.replace('-', '_')}"
    return rule


RULES = {
    TaskKind.LEGACY_SPF_INCLUDE: rule_legacy_spf,
    TaskKind.LEGACY_MX: rule_legacy_mx,
    TaskKind.STATUS_CONFLICT: rule_status_conflict,
    TaskKind.SPF_TOO_MANY_LOOKUPS: rule_spf_lookups,
    TaskKind.UNREGISTERED: rule_unregistered,
    **{task: rule_reference(kind) for kind, task in REFERENCE_TASKS.items()},
}


def findings_for(report: StoredReport, customer, consecutive_inconclusive: int) -> dict[TaskKind, Finding]:
    """Every rule's finding for one stored report."""
    found: dict[TaskKind, Finding] = {}
    # Inconclusive: nothing is known about the DNS problems, so their tasks are left alone.
    if report.verdict != Verdict.INCONCLUSIVE:
        complete = report.complete
        for kind, rule in RULES.items():
            finding = rule(report, customer)
            # A problem seen is a fact; a problem not seen is one only if every lookup answered
            # (and, for the other reference kinds, their check ran).
            finding.decisive = finding.present or (complete and finding.decisive)
            found[kind] = finding
    found[TaskKind.INCONCLUSIVE_REPEATED] = Finding(
        present=consecutive_inconclusive >= INCONCLUSIVE_IN_A_ROW,
        evidence={
            "checks_in_a_row": consecutive_inconclusive,
            "errors": (report.data.get("errors") or [])[:20],
        },
    )
    return found


# -- when the rules can be skipped -------------------------------------------------------------

# The rules' own code is one of their inputs: a deploy that changes a rule (or a task kind)
# runs them again on every domain, once.
_RULES_SOURCES = (Path(__file__), Path(__file__).parents[1] / "choices.py")
RULES_VERSION = hashlib.sha256(b"".join(path.read_bytes() for path in _RULES_SOURCES)).hexdigest()[:12]


def rules_input_key(fingerprint: str, customer_id: int, status: str, rep_id: int | None, priority) -> str:
    """Everything the rules' outcome depends on, besides the tasks themselves, as one string.

    Applying the rules twice to the same inputs changes nothing the second time, and
    what reps do to tasks in between (close, snooze, wake) is what the rules expect
    (a task closed by hand stays closed for the same evidence). So while a domain's
    new check brings the key its state holds, its tasks need not even be read.
    Edits the rules cannot foresee (the admin) forget the key: `followups_forget_rules()`.
    """
    return f"{RULES_VERSION}:{fingerprint[:32]}:{customer_id}:{status}:{rep_id or ''}:{int(priority)}"


def rules_key_for(campaign, domain, fingerprint: str, today: dt.date) -> str:
    customer = domain.customer
    return rules_input_key(fingerprint, customer.pk, customer.status, customer.rep_id, campaign.priority_on(today))


def followups_forget_rules(campaign_id: int, domain_ids: Iterable[int]) -> int:
    """Make the next check of these domains run the rules (their tasks were edited by hand)."""
    return DomainState.objects.filter(campaign_id=campaign_id, domain_id__in=list(domain_ids)).update(
        rules_key=""
    )


def followups_keep_waiting_in_view(campaign, outcomes) -> int:
    """Domains with a task waiting for DNS keep no rules key: every check of theirs runs the rules.

    So a check after the customer's expected change time reopens the task even when
    DNS did not change, and the sweep's fast path never has to read tasks.
    """
    waiting = [outcome.domain_id for outcome in outcomes if outcome.waiting]
    return followups_forget_rules(campaign.pk, waiting) if waiting else 0


def followups_wake_snoozed(today: dt.date | None = None) -> int:
    """Snoozed tasks whose day has come are open again; returns how many."""
    return FollowUpTask.objects.wake_due(today or timezone.localdate())


# -- applying findings -------------------------------------------------------------------------------


@dataclass
class RuleOutcome:
    opened: list[FollowUpTask] = field(default_factory=list)
    reopened: list[FollowUpTask] = field(default_factory=list)
    closed: list[FollowUpTask] = field(default_factory=list)
    domain_id: int | None = None
    waiting: bool = False  # a task of the domain still waits for DNS after this check


def locked_followups(campaign, domains) -> dict[int, list[FollowUpTask]]:
    """Every task of these domains, newest first, locked until the transaction ends (one query)."""
    by_domain: dict[int, list[FollowUpTask]] = {domain.pk: [] for domain in domains}
    rows = (
        FollowUpTask.objects.select_for_update()
        .filter(campaign=campaign, domain__in=list(by_domain))
        .order_by("-opened_at", "-pk")
    )
    for task in rows:
        by_domain[task.domain_id].append(task)
    return by_domain


# What the rules change on an existing task (for one UPDATE of many tasks).
RULE_FIELDS = [
    "evidence",
    "priority",
    "assignee",
    "for_ops",
    "status",
    "reopened_count",
    "due_date",
    "closed_at",
    "closed_by",
    "close_note",
    "closing_evidence",
    "waiting_until",
    "updated_at",
]


class FollowupWrites:
    """The tasks a run of the rules opened and changed, written together at the end (`save()`)."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self.new: list[FollowUpTask] = []
        self.changed: dict[int, FollowUpTask] = {}
        self.events: list[TaskEvent] = []

    def touch(self, task: FollowUpTask) -> None:
        task.updated_at = self.now  # auto_now only acts in save()
        self.changed[id(task)] = task

    def record(self, task: FollowUpTask, action: TaskEventKind, note: str) -> None:
        self.events.append(TaskEvent(task=task, at=self.now, action=action, note=note))

    def save(self) -> None:
        bulk_update(list(self.changed.values()), RULE_FIELDS)
        bulk_insert(self.new)
        if self.events:
            TaskEvent.objects.bulk_create(self.events)


@dataclass
class _DomainRun:
    """The rules applied to one domain's check: the context every step needs, in one place."""

    campaign: Any
    domain: Any
    tasks: list[FollowUpTask]
    writes: FollowupWrites
    today: dt.date
    outcome: RuleOutcome = field(default_factory=RuleOutcome)

    def facts(self, kind: TaskKind, finding: Finding) -> dict:
        return {
            "evidence": finding.evidence,
            "priority": self.campaign.priority_on(self.today),
            "assignee_id": None if kind.for_ops else self.domain.customer.rep_id,
            "for_ops": kind.for_ops,
        }

    def present(self, kind: TaskKind, finding: Finding, active: FollowUpTask | None) -> None:
        facts = self.facts(kind, finding)
        if active is not None and active.wait_is_over(self.today):
            note = (
                f"Reopened: DNS still shows the problem after {active.waiting_until:%Y-%m-%d}, "
                "the day the customer was expected to have changed it."
            )
            active.reopen(facts, due_date_for(self.campaign, self.today, kind), note=note)
            self.writes.touch(active)
            self.writes.record(active, TaskEventKind.REOPENED_BY_CHECK, note)
            self.outcome.reopened.append(active)
            return
        if active is not None:
            if active.take_facts(facts):  # most checks see the same problem again: no write
                self.writes.touch(active)
            return
        latest = next((t for t in self.tasks if t.kind == kind), None)
        if latest is not None and latest.status == TaskStatus.DONE and latest.evidence == finding.evidence:
            return  # closed by hand with this very evidence: the rep knows
        if latest is not None and latest.status in (TaskStatus.AUTO_CLOSED, TaskStatus.DONE):
            latest.reopen(facts, due_date_for(self.campaign, self.today, kind))
            self.writes.touch(latest)
            self.writes.record(latest, TaskEventKind.REOPENED_BY_CHECK, "The problem is back.")
            self.outcome.reopened.append(latest)
            return
        task = FollowUpTask(
            campaign=self.campaign,
            customer=self.domain.customer,
            domain=self.domain,
            kind=kind,
            due_date=due_date_for(self.campaign, self.today, kind),
            opened_at=self.writes.now,
            **facts,
        )
        self.writes.new.append(task)
        self.tasks.insert(0, task)
        self.outcome.opened.append(task)

    def gone(self, report: StoredReport, finding: Finding, active: FollowUpTask) -> None:
        was_waiting = active.status == TaskStatus.WAITING_FOR_DNS
        active.close_as_fixed(self.writes.now, {"check_verdict": report.verdict, **finding.evidence})
        self.writes.touch(active)
        if was_waiting:
            self.writes.record(active, TaskEventKind.FIXED, active.close_note)
        self.outcome.closed.append(active)


def followups_apply(
    campaign,
    domain,
    report: dict,
    consecutive_inconclusive: int,
    *,
    writes: FollowupWrites,
    tasks: list[FollowUpTask],
    today: dt.date,
) -> RuleOutcome:
    """Open, refresh, reopen and close this domain's tasks after a stored check.

    `tasks`: the domain's tasks from `locked_followups()`; `writes` collects what
    changed, for the caller to `save()` once for many domains.
    """
    customer = domain.customer
    run = _DomainRun(
        campaign, domain, [task for task in tasks if task.customer_id == customer.pk], writes, today
    )
    stored = StoredReport(report)
    for kind, finding in findings_for(stored, customer, consecutive_inconclusive).items():
        active = next((t for t in run.tasks if t.kind == kind and t.is_active), None)
        if finding.present:
            run.present(kind, finding, active)
        elif active is not None and finding.decisive:
            run.gone(stored, finding, active)
    run.outcome.domain_id = domain.pk
    run.outcome.waiting = any(task.status == TaskStatus.WAITING_FOR_DNS for task in run.tasks)
    return run.outcome


def followups_apply_one(campaign, domain, report: dict, consecutive_inconclusive: int, *, now=None) -> RuleOutcome:
    """The rules for one domain, written at once (single checks and tests); call inside a transaction."""
    now = now or timezone.now()
    writes = FollowupWrites(now)
    outcome = followups_apply(
        campaign,
        domain,
        report,
        consecutive_inconclusive,
        writes=writes,
        tasks=locked_followups(campaign, [domain])[domain.pk],
        today=timezone.localdate(now),
    )
    writes.save()
    return outcome
