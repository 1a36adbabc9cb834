"""Sweeps: one run of the probe over a campaign's domains, split into chunks that workers claim.

A `Sweep` is the record of a background run (status, counters, alert), like
netbox's jobs. Its `SweepChunk` rows are the units of work: a worker claims a
chunk with a conditional UPDATE and stores the chunk's results and its `done`
mark in one transaction, so a chunk is either stored completely or not at all,
a redelivered message is harmless, and a sweep that lost workers can be
resumed by re-queuing its unfinished chunks. Counters on the sweep are always
recomputed from the chunks (never incremented), so retries cannot inflate them.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone

from customers.models import Domain
from tracker.choices import ChunkStatus, SweepKind, SweepStatus
from tracker.models.followup import FollowUpTask


def chunk_lease() -> dt.timedelta:
    """A running chunk whose claim was not renewed (heartbeat) for this long was lost with its worker."""
    return dt.timedelta(seconds=settings.SWEEP_CHUNK_LEASE_S)


# Share of checked domains whose lookups timed out above which the sweep raises an alert.
TIMEOUT_ALERT_SHARE = 0.5


class Sweep(models.Model):
    """One run of the probe over some of a campaign's domains."""

    campaign = models.ForeignKey("tracker.Campaign", on_delete=models.PROTECT, related_name="sweeps")
    kind = models.CharField(max_length=10, choices=SweepKind.choices, default=SweepKind.FULL)
    status = models.CharField(
        max_length=10, choices=SweepStatus.choices, default=SweepStatus.QUEUED, db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    label = models.CharField(
        max_length=200, blank=True, help_text="What was asked, e.g. 'domain acme.example'."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Recomputed from the chunks (see refresh_counters); never incremented in place.
    total = models.PositiveIntegerField(default=0, help_text="Domains in this sweep.")
    done = models.PositiveIntegerField(default=0, help_text="Domains checked and stored.")
    legacy_count = models.PositiveIntegerField(default=0)
    clean_count = models.PositiveIntegerField(default=0)
    inconclusive_count = models.PositiveIntegerField(default=0)
    unregistered_count = models.PositiveIntegerField(default=0)
    timeout_count = models.PositiveIntegerField(
        default=0, help_text="Domains with at least one timed-out lookup."
    )
    chunk_count = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    chunks_failed = models.PositiveIntegerField(default=0)
    alert = models.TextField(blank=True, help_text="What operations must know, e.g. the DNS server is down.")
    error = models.TextField(blank=True, help_text="Why the sweep (or a chunk) failed.")
    stalled_at = models.DateTimeField(
        null=True, blank=True, help_text="Since when no worker has worked on this unfinished sweep."
    )
    stall_reason = models.TextField(blank=True, help_text="Why the sweep looks stalled, for operations.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["campaign", "-created_at"], name="sweep_campaign_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.campaign_id} #{self.pk}"

    @property
    def status_choice(self) -> SweepStatus:
        return SweepStatus(self.status)

    @property
    def is_finished(self) -> bool:
        return self.status_choice.is_finished

    @property
    def is_stalled(self) -> bool:
        """Unfinished, and no worker has claimed, renewed or finished a chunk for a lease."""
        return self.stalled_at is not None and not self.is_finished

    @property
    def can_resume(self) -> bool:
        return self.is_stalled or self.status in (SweepStatus.PARTIAL, SweepStatus.FAILED)

    @property
    def progress(self) -> tuple[int, int]:
        """(done, total) domains, for a progress bar."""
        return self.done, self.total

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    @property
    def duration(self) -> dt.timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    def unfinished_chunks(self) -> models.QuerySet[SweepChunk]:
        return self.chunks.exclude(status=ChunkStatus.DONE)

    def domain_ids_never_checked(self) -> list[int]:
        """Domains of chunks that never completed (what a partial sweep did not check)."""
        return [pk for chunk in self.unfinished_chunks() for pk in chunk.domain_ids]

    def domains_never_checked(self):
        return Domain.objects.filter(pk__in=self.domain_ids_never_checked())

    def refresh_counters(self) -> None:
        """Recompute counters from the chunks, and the alert from them (idempotent)."""
        chunks = self.chunks.all()
        done_chunks = chunks.filter(status=ChunkStatus.DONE)
        sums = done_chunks.aggregate(
            done=Sum("checked"),
            legacy=Sum("legacy_count"),
            clean=Sum("clean_count"),
            inconclusive=Sum("inconclusive_count"),
            unregistered=Sum("unregistered_count"),
            timeouts=Sum("timeout_count"),
        )
        self.done = sums["done"] or 0
        self.legacy_count = sums["legacy"] or 0
        self.clean_count = sums["clean"] or 0
        self.inconclusive_count = sums["inconclusive"] or 0
        self.unregistered_count = sums["unregistered"] or 0
        self.timeout_count = sums["timeouts"] or 0
        self.chunk_count = chunks.count()
        self.chunks_done = done_chunks.count()
        self.chunks_failed = chunks.filter(status=ChunkStatus.FAILED).count()
        self.alert = self.compute_alert()

    def compute_alert(self) -> str:
        """Too many timeouts: says what this sweep stored and which tasks it opened and closed, counted.

        It must not promise what did not happen: a domain whose lookups partly timed out can
        still be stored as unregistered or legacy, and rules may have opened tasks for it.
        """
        alerts = [self.stall_reason] if self.stall_reason else []
        if not (self.done and self.timeout_count / self.done > TIMEOUT_ALERT_SHARE):
            return " ".join(alerts)
        stored = [
            (self.inconclusive_count, "inconclusive"),
            (self.unregistered_count, "unregistered"),
            (self.legacy_count, "legacy"),
            (self.clean_count, "clean"),
        ]
        stored_text = ", ".join(f"{count} as {label}" for count, label in stored if count) or "nothing"
        opened, closed = self.tasks_opened_and_closed()
        alerts.append(
            f"DNS server unreachable? {self.timeout_count} of {self.done} domains had lookups that timed out. "
            f"This sweep stored {stored_text}; since it started, {_tasks(opened)} opened and {closed} "
            f"closed for this campaign. Check the DNS servers, then sweep again "
            f"before acting on these results."
        )
        return " ".join(alerts)

    def tasks_opened_and_closed(self) -> tuple[int, int]:
        since = self.started_at or self.created_at
        tasks = FollowUpTask.objects.filter(campaign_id=self.campaign_id)
        return tasks.filter(opened_at__gte=since).count(), tasks.filter(closed_at__gte=since).count()

    def save_counters(self) -> None:
        self.refresh_counters()
        self.save(
            update_fields=[
                "done",
                "legacy_count",
                "clean_count",
                "inconclusive_count",
                "unregistered_count",
                "timeout_count",
                "chunk_count",
                "chunks_done",
                "chunks_failed",
                "alert",
            ]
        )

    def mark_running(self) -> None:
        """queued -> running, once (a conditional UPDATE: concurrent chunks race harmlessly)."""
        now = timezone.now()
        Sweep.objects.filter(pk=self.pk, status=SweepStatus.QUEUED).update(
            status=SweepStatus.RUNNING, started_at=now
        )

    def finish_if_complete(self) -> bool:
        """Close the sweep when no chunk is left to run; True if this call closed it.

        Called by every chunk at its end; the conditional UPDATE lets exactly one win.
        """
        if self.chunks.filter(status__in=[ChunkStatus.QUEUED, ChunkStatus.RUNNING]).exists():
            return False
        self.refresh_counters()
        if self.chunks_failed and not self.chunks_done:
            status = SweepStatus.FAILED
        elif self.chunks_failed:
            status = SweepStatus.PARTIAL
        else:
            status = SweepStatus.DONE
        now = timezone.now()
        closed = Sweep.objects.filter(
            Q(pk=self.pk), ~Q(status__in=[SweepStatus.DONE, SweepStatus.PARTIAL, SweepStatus.FAILED])
        ).update(
            status=status,
            finished_at=now,
            done=self.done,
            legacy_count=self.legacy_count,
            clean_count=self.clean_count,
            inconclusive_count=self.inconclusive_count,
            unregistered_count=self.unregistered_count,
            timeout_count=self.timeout_count,
            chunk_count=self.chunk_count,
            chunks_done=self.chunks_done,
            chunks_failed=self.chunks_failed,
            alert=self.alert,
        )
        if closed:
            self.status, self.finished_at = status, now
        return bool(closed)


class SweepChunk(models.Model):
    """A slice of a sweep's domains: what one Celery task claims, stores, and marks done."""

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    domain_ids = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="Celery task id of the claim.")
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last sign of the worker that holds the claim (claim, heartbeat, finish).",
    )
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When its message was last sent.")
    finished_at = models.DateTimeField(null=True, blank=True)
    checked = models.PositiveIntegerField(default=0)
    legacy_count = models.PositiveIntegerField(default=0)
    clean_count = models.PositiveIntegerField(default=0)
    inconclusive_count = models.PositiveIntegerField(default=0)
    unregistered_count = models.PositiveIntegerField(default=0)
    timeout_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    timings = models.JSONField(
        default=dict, blank=True, help_text="Seconds spent probing and storing (wall and CPU), for tuning."
    )

    class Meta:
        ordering = ["sweep", "index"]
        constraints = [models.UniqueConstraint(fields=["sweep", "index"], name="sweepchunk_unique_index")]

    def __str__(self) -> str:
        return f"sweep {self.sweep_id} chunk {self.index} ({self.status})"

    def claim(self, claimed_by: str = "") -> bool:
        """Take this chunk for one run; False if it is done or another live worker has it.

        A chunk is claimable when queued or failed, when the same task message
        comes back (redelivered after a worker died: same `claimed_by`), or when
        its lease ran out (no heartbeat for `chunk_lease()`).
        """
        now = timezone.now()
        claimable = Q(status__in=[ChunkStatus.QUEUED, ChunkStatus.FAILED]) | Q(
            status=ChunkStatus.RUNNING, heartbeat_at__lt=now - chunk_lease()
        )
        if claimed_by:
            claimable |= Q(status=ChunkStatus.RUNNING, claimed_by=claimed_by)
        updated = SweepChunk.objects.filter(claimable, pk=self.pk).update(
            status=ChunkStatus.RUNNING,
            claimed_by=claimed_by,
            started_at=now,
            heartbeat_at=now,
            attempts=models.F("attempts") + 1,
            error="",
        )
        if updated:
            self.refresh_from_db()
        return bool(updated)


def _tasks(count: int) -> str:
    return f"{count} task was" if count == 1 else f"{count} tasks were"
