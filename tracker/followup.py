"""Follow-up rules: after each check, open, refresh, auto-close or reopen tasks.

Each rule looks at one stored report and says whether its problem is present
(with the evidence) for that domain. `apply_rules()` then:
- opens a task for a present problem, or refreshes the evidence of the active
  one (never a duplicate: there is a database constraint too);
- reopens the latest task closed by a check when the problem comes back;
  a task closed by hand stays closed while the evidence is what the rep saw;
- auto-closes an active task when a check that could see the problem shows it
  gone, keeping that check's report as `closing_evidence`.
A check with failed lookups never closes anything: a timeout is not a fix.
Reps close or snooze tasks by hand through `task_close()` and `task_snooze()`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from customers.choices import MigrationStatus
from tracker.bulk import bulk_update
from tracker.choices import Priority, TaskKind, TaskStatus, Verdict
from tracker.models import DomainState, FollowUpTask

MAX_SPF_LOOKUPS = 10
INCONCLUSIVE_IN_A_ROW = 3
SUGGESTION_OVER_LIMIT = "the suggested record makes the tree need"


# -- dates -------------------------------------------------------------------------------------------


def next_deadline(campaign, today: dt.date) -> dt.date | None:
    """The end date until it passes, then the cleanup date; None once both are past."""
    for deadline in (campaign.end_date, campaign.cleanup_date):
        if deadline is not None and deadline >= today:
            return deadline
    return None


def priority_for(campaign, today: dt.date) -> Priority:
    """Rises as the deadlines approach; urgent once the service has stopped."""
    if today > campaign.end_date:
        return Priority.URGENT
    days_left = (campaign.end_date - today).days
    if days_left <= 14:
        return Priority.HIGH
    if days_left <= 60:
        return Priority.NORMAL
    return Priority.LOW


def due_date_for(campaign, today: dt.date, kind: TaskKind) -> dt.date:
    if kind.for_ops:
        return today + dt.timedelta(days=1)
    deadline = next_deadline(campaign, today)
    return deadline if deadline is not None else today + dt.timedelta(days=7)


# -- rules -------------------------------------------------------------------------------------------


@dataclass
class Finding:
    """A rule's answer: is the problem there, and can this report tell (else: leave tasks alone)."""

    present: bool
    evidence: dict[str, Any]
    decisive: bool = True


def _spf_terms(report: dict) -> list[dict]:
    spf = report.get("spf") or {}
    records = spf.get("records") or {}
    terms = []
    for ref in report.get("legacy_references") or []:
        if not ref["kind"].startswith("spf-"):
            continue
        holder = ref["path"][-1] if ref.get("path") else report["domain"]
        prefix = {"spf-include": "include:", "spf-redirect": "redirect=", "spf-ip": ""}[ref["kind"]]
        terms.append(
            {
                "kind": ref["kind"],
                "term": f"{prefix}{ref['value']}",
                "path": ref.get("path") or [],
                "record_domain": holder,
                "record": (records.get(holder) or [None])[0],
            }
        )
    return terms


def rule_legacy_spf(report: dict, customer) -> Finding:
    spf = report.get("spf") or {}
    terms = _spf_terms(report)
    suggestion_over = any(SUGGESTION_OVER_LIMIT in w for w in spf.get("warnings") or [])
    return Finding(
        present=bool(terms),
        evidence={
            "terms": terms,
            "record": spf.get("record"),
            "suggested_record": spf.get("suggested_record"),
            "suggested_for": spf.get("suggested_for"),
            "removal_leaves_valid_record": bool(spf.get("suggested_record")) and not suggestion_over,
            "breaks_on_legacy_removal": spf.get("breaks_on_legacy_removal"),
        },
    )


def rule_legacy_mx(report: dict, customer) -> Finding:
    refs = [r for r in report.get("legacy_references") or [] if r["kind"] in ("mx", "mx-address")]
    return Finding(
        present=bool(refs),
        evidence={
            "hosts": (report.get("mx") or {}).get("hosts") or [],
            "legacy_hosts": sorted({r["value"] for r in refs}),
            "references": refs,
        },
    )


def rule_status_conflict(report: dict, customer) -> Finding:
    migrated = customer.status == MigrationStatus.MIGRATED
    return Finding(
        present=migrated and report["verdict"] == Verdict.LEGACY,
        evidence={
            "customer_status": customer.status,
            "verdict": report["verdict"],
            "references": report.get("legacy_references") or [],
        },
    )


def rule_spf_lookups(report: dict, customer) -> Finding:
    spf = report.get("spf") or {}
    lookups = spf.get("dns_lookups")
    over_now = lookups is not None and lookups > MAX_SPF_LOOKUPS
    would_exceed = [w for w in spf.get("warnings") or [] if SUGGESTION_OVER_LIMIT in w]
    return Finding(
        present=over_now or bool(would_exceed),
        evidence={
            "record": spf.get("record"),
            "dns_lookups": lookups,
            "exceeds": over_now,
            "suggestion_would_exceed": bool(would_exceed),
            "notes": would_exceed,
        },
    )


def rule_unregistered(report: dict, customer) -> Finding:
    return Finding(present=report["verdict"] == Verdict.UNREGISTERED, evidence={"domain": report["domain"]})


RULES = {
    TaskKind.LEGACY_SPF_INCLUDE: rule_legacy_spf,
    TaskKind.LEGACY_MX: rule_legacy_mx,
    TaskKind.STATUS_CONFLICT: rule_status_conflict,
    TaskKind.SPF_TOO_MANY_LOOKUPS: rule_spf_lookups,
    TaskKind.UNREGISTERED: rule_unregistered,
}


def findings_for(report: dict, customer, consecutive_inconclusive: int) -> dict[TaskKind, Finding]:
    """Every rule's finding for one stored report."""
    complete = not report.get("errors") and report["verdict"] != Verdict.INCONCLUSIVE
    found: dict[TaskKind, Finding] = {}
    if report["verdict"] == Verdict.INCONCLUSIVE:
        # Nothing is known about the DNS problems: leave their tasks alone.
        pass
    else:
        for kind, rule in RULES.items():
            finding = rule(report, customer)
            # A problem seen is a fact; a problem not seen is one only if every lookup answered.
            finding.decisive = finding.present or complete
            found[kind] = finding
    found[TaskKind.INCONCLUSIVE_REPEATED] = Finding(
        present=consecutive_inconclusive >= INCONCLUSIVE_IN_A_ROW,
        evidence={
            "checks_in_a_row": consecutive_inconclusive,
            "errors": (report.get("errors") or [])[:20],
        },
    )
    return found


# -- when the rules can be skipped -------------------------------------------------------------

# The rules' own code is one of their inputs: a deploy that changes a rule (or a task kind)
# runs them again on every domain, once.
RULES_VERSION = hashlib.sha256(
    b"".join(Path(__file__).with_name(name).read_bytes() for name in ("followup.py", "choices.py"))
).hexdigest()[:12]


def rules_input_key(fingerprint: str, customer_id: int, status: str, rep_id: int | None, priority) -> str:
    """Everything the rules' outcome depends on, besides the tasks themselves, as one string.

    Applying the rules twice to the same inputs changes nothing the second time, and
    what reps do to tasks in between (close, snooze, wake) is what the rules expect
    (a task closed by hand stays closed for the same evidence). So while a domain's
    new check brings the key its state holds, its tasks need not even be read.
    Edits the rules cannot foresee (the admin) forget the key: `rules_forget()`.
    """
    return f"{RULES_VERSION}:{fingerprint[:32]}:{customer_id}:{status}:{rep_id or ''}:{int(priority)}"


def rules_key_for(campaign, domain, fingerprint: str, today: dt.date) -> str:
    customer = domain.customer
    return rules_input_key(
        fingerprint, customer.pk, customer.status, customer.rep_id, priority_for(campaign, today)
    )


def rules_forget(campaign_id: int, domain_ids: Iterable[int]) -> int:
    """Make the next check of these domains run the rules (their tasks were edited by hand)."""
    return DomainState.objects.filter(campaign_id=campaign_id, domain_id__in=list(domain_ids)).update(
        rules_key=""
    )


# -- applying findings -------------------------------------------------------------------------------


@dataclass
class RuleOutcome:
    opened: list[FollowUpTask]
    reopened: list[FollowUpTask]
    closed: list[FollowUpTask]


def locked_tasks(campaign, domains) -> dict[int, list[FollowUpTask]]:
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


def apply_rules(
    campaign,
    domain,
    report: dict,
    consecutive_inconclusive: int,
    *,
    now=None,
    today=None,
    tasks=None,
    unsaved=None,
    dirty=None,
) -> RuleOutcome:
    """Open, refresh, reopen and auto-close this domain's tasks after a stored check.

    `tasks`: the domain's tasks from `locked_tasks()` when the caller stores many domains;
    `unsaved`: a list that collects new tasks for the caller to `bulk_insert()`, instead of
    one INSERT each (a first sweep opens thousands); `dirty`: likewise, changed tasks for
    `save_dirty_tasks()`. `today`: `now`'s local date, if known.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    customer = domain.customer
    outcome = RuleOutcome([], [], [])
    if tasks is None:
        tasks = locked_tasks(campaign, [domain])[domain.pk]
    tasks = [task for task in tasks if task.customer_id == customer.pk]
    for kind, finding in findings_for(report, customer, consecutive_inconclusive).items():
        active = next((t for t in tasks if t.kind == kind and t.is_active), None)
        if finding.present:
            _task_present(
                campaign, customer, domain, kind, finding, active, tasks, today, now, outcome, unsaved, dirty
            )
        elif active is not None and finding.decisive:
            active.status = TaskStatus.AUTO_CLOSED
            active.closed_at = now
            active.closed_by = None
            active.close_note = "Fixed: a check no longer found the problem."
            active.closing_evidence = {"check_verdict": report["verdict"], **finding.evidence}
            _save(active, now, dirty)
            outcome.closed.append(active)
    return outcome


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
    "updated_at",
]


def _save(task: FollowUpTask, now, dirty: list[FollowUpTask] | None) -> None:
    if dirty is None:
        task.save()
    else:
        task.updated_at = now  # auto_now only acts in save()
        dirty.append(task)


def save_dirty_tasks(dirty: list[FollowUpTask]) -> None:
    """Write the tasks `apply_rules(dirty=...)` changed, in one statement."""
    bulk_update(list({id(task): task for task in dirty}.values()), RULE_FIELDS)


def _task_present(
    campaign, customer, domain, kind, finding, active, tasks, today, now, outcome, unsaved=None, dirty=None
) -> None:
    fields = {
        "evidence": finding.evidence,
        "priority": priority_for(campaign, today),
        "assignee_id": None if kind.for_ops else customer.rep_id,
        "for_ops": kind.for_ops,
    }
    if active is not None:
        changed = {name: value for name, value in fields.items() if getattr(active, name) != value}
        if changed:  # most checks see the same problem again: no write
            for name, value in changed.items():
                setattr(active, name, value)
            if dirty is None:
                active.save(update_fields=[name.removesuffix("_id") for name in changed] + ["updated_at"])
            else:
                _save(active, now, dirty)
        return
    latest = next((t for t in tasks if t.kind == kind), None)
    if latest is not None and (
        latest.status == TaskStatus.AUTO_CLOSED
        or (latest.status == TaskStatus.DONE and latest.evidence != finding.evidence)
    ):
        for name, value in fields.items():
            setattr(latest, name, value)
        latest.status = TaskStatus.OPEN
        latest.reopened_count += 1
        latest.due_date = due_date_for(campaign, today, kind)
        latest.closed_at = latest.closed_by = None
        _save(latest, now, dirty)
        outcome.reopened.append(latest)
        return
    if latest is not None and latest.status == TaskStatus.DONE:
        return  # closed by hand with this very evidence: the rep knows
    task = FollowUpTask(
        campaign=campaign,
        customer=customer,
        domain=domain,
        kind=kind,
        due_date=due_date_for(campaign, today, kind),
        opened_at=now,
        **fields,
    )
    if unsaved is None:
        task.save(force_insert=True)
    else:
        unsaved.append(task)
    tasks.insert(0, task)
    outcome.opened.append(task)


# -- by hand -----------------------------------------------------------------------------------------


def task_close(task: FollowUpTask, by, note: str = "") -> FollowUpTask:
    """A rep closes a task by hand; it reopens only if a later check shows different evidence."""
    with transaction.atomic():
        task = FollowUpTask.objects.select_for_update().get(pk=task.pk)
        if task.is_active:
            task.status = TaskStatus.DONE
            task.closed_at = timezone.now()
            task.closed_by = by
            task.close_note = note
            task.snoozed_until = None
            task.save()
    return task


def task_snooze(task: FollowUpTask, until: dt.date, by) -> FollowUpTask:
    """Hide an active task from the worklist until `until` (checks still refresh or close it)."""
    if until <= timezone.localdate():
        raise ValueError("snooze until a day in the future")
    with transaction.atomic():
        task = FollowUpTask.objects.select_for_update().get(pk=task.pk)
        if not task.is_active:
            raise ValueError("only an open task can be snoozed")
        task.status = TaskStatus.SNOOZED
        task.snoozed_until = until
        task.close_note = f"Snoozed until {until.isoformat()} by {by}" if by else task.close_note
        task.save()
    return task


def tasks_wake_snoozed(today: dt.date | None = None) -> int:
    """Snoozed tasks whose day has come are open again; returns how many."""
    today = today or timezone.localdate()
    return FollowUpTask.objects.filter(status=TaskStatus.SNOOZED, snoozed_until__lte=today).update(
        status=TaskStatus.OPEN, snoozed_until=None
    )
