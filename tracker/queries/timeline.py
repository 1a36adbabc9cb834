"""A domain's check history read back as "what changed" entries; a customer's activity log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tracker.models import Check
from tracker.probe.stored import StoredReport


@dataclass
class Change:
    """One difference between two consecutive checks: e.g. ("mx", "removed", "mx1.po.2iij.net")."""

    part: str  # verdict, mx, spf, dmarc, reference, on_successor, breaks_on_legacy_removal, errors
    change: str  # added, removed, changed
    value: str = ""
    old: str = ""

    def __str__(self) -> str:
        if self.change == "changed":
            return f"{self.part}: {self.old or '-'} -> {self.value or '-'}"
        return f"{self.part} {self.change}: {self.value}"


@dataclass
class TimelineEntry:
    """A span of identical checks and how it differs from the span before it."""

    check: Check
    verdict: str
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    times_seen: int
    previous_verdict: str | None
    changes: list[Change] = field(default_factory=list)

    @property
    def verdict_changed(self) -> bool:
        return self.previous_verdict is not None and self.previous_verdict != self.verdict

    @property
    def is_first(self) -> bool:
        return self.previous_verdict is None


def _set_diff(part: str, old: set[str], new: set[str]) -> list[Change]:
    return [Change(part, "removed", v) for v in sorted(old - new)] + [
        Change(part, "added", v) for v in sorted(new - old)
    ]


def _spf_records(report: StoredReport) -> set[str]:
    """Every SPF record along the tree as 'domain: record'."""
    records = report.spf.all_records(report.domain)
    return {f"{domain}: {text}" for domain, texts in records.items() for text in texts}


def _text(value) -> str:
    return "" if value is None else str(value)


def _changed(part: str, old, new) -> list[Change]:
    return [Change(part, "changed", _text(new), _text(old))] if old != new else []


def diff_reports(old_data: dict, new_data: dict) -> list[Change]:
    """What changed from one report to the next, part by part."""
    old, new = StoredReport(old_data), StoredReport(new_data)
    return [
        *_changed("verdict", old.verdict, new.verdict),
        *_set_diff("reference", {r.text() for r in old.references}, {r.text() for r in new.references}),
        *_set_diff("mx", set(old.mx.hosts), set(new.mx.hosts)),
        *_set_diff("spf", _spf_records(old), _spf_records(new)),
        *_changed("dmarc", old.dmarc.record, new.dmarc.record),
        *_changed("on_successor", old.on_successor, new.on_successor),
        *_changed(
            "breaks_on_legacy_removal", old.spf.breaks_on_legacy_removal, new.spf.breaks_on_legacy_removal
        ),
        *_set_diff("errors", {e.text() for e in old.errors}, {e.text() for e in new.errors}),
    ]


def domain_timeline(domain, campaign, limit: int | None = None) -> list[TimelineEntry]:
    """The domain's history in this campaign, newest first, each entry saying what changed."""
    spans = list(Check.objects.filter(domain=domain, campaign=campaign).order_by("first_seen_at", "pk"))
    entries: list[TimelineEntry] = []
    previous: Check | None = None
    for span in spans:
        entries.append(
            TimelineEntry(
                check=span,
                verdict=span.verdict,
                first_seen_at=span.first_seen_at,
                last_seen_at=span.last_seen_at,
                times_seen=span.times_seen,
                previous_verdict=previous.verdict if previous else None,
                changes=diff_reports(previous.report, span.report) if previous else [],
            )
        )
        previous = span
    entries.reverse()
    return entries[:limit] if limit else entries


# -- a customer's activity log: what reps did, beside status changes and notices ---------------------


@dataclass
class ActivityEntry:
    """One line of a customer's log: a logged call/mail/meeting, a status change, or a notice."""

    at: dt.datetime
    what: str  # activity, status, notice
    item: object


def customer_activity_log(customer, *, changes=None, notices=None, limit: int = 100) -> list[ActivityEntry]:
    """Logged activities, status changes and notices (drafted or sent), newest first.

    A page that already read the customer's status changes and notices passes them in: one query then.
    """
    activities = customer.activities.select_related("by", "next_step_task")[:limit]
    if changes is None:
        changes = customer.status_changes.select_related("changed_by").order_by("-changed_at")[:limit]
    if notices is None:
        notices = customer.notices.select_related("drafted_by", "sent_by").order_by("-drafted_at")[:limit]
    entries = [
        *(ActivityEntry(a.happened_at, "activity", a) for a in activities),
        *(ActivityEntry(c.changed_at, "status", c) for c in changes),
        *(ActivityEntry(n.sent_at or n.drafted_at, "notice", n) for n in notices),
    ]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
