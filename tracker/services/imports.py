"""Big customer imports off the request: store the upload, queue a job, run it with progress.

    import_needs_job(data, filename) -> bool     more rows than IMPORT_BACKGROUND_ROWS?
    import_job_start(data, filename, by=, dry_run=) -> ImportJob   stored, queued after commit
    import_job_run(job_id) -> ImportJob          the worker's side (tracker.run_import_job)

The import itself is customers.importer.import_customers, unchanged: all or
nothing, the same row-by-row report, stored on the job as JSON.
"""

from __future__ import annotations

import io
import logging
import threading

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from customers.choices import ImportJobStatus
from customers.importer import import_customers, report_to_json
from customers.invitations import invite_rep
from customers.models import ImportJob
from tracker.common.spreadsheets import check_xlsx_expansion
from tracker.services.enqueue import broker_check, enqueue_after_commit
from tracker.services.sweeps import imported_domains_check

log = logging.getLogger(__name__)

# The Celery task that runs one import job (tracker.tasks.run_import_job), queued by name.
IMPORT_JOB_TASK = "tracker.run_import_job"
PROGRESS_INTERVAL_S = 1.0


def import_row_estimate(data: bytes, filename: str = "") -> int:
    """About how many rows the file has, cheaply: CSV lines, or the sheet's declared size."""
    is_xlsx = filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04"
    if not is_xlsx:
        return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    try:
        from openpyxl import load_workbook

        check_xlsx_expansion(data)
        workbook = load_workbook(io.BytesIO(data), read_only=True)
        try:
            declared = workbook.worksheets[0].max_row
        finally:
            workbook.close()
    except Exception:  # noqa: BLE001 (a broken or oversized file: the importer words the error)
        return 0
    # Undeclared: guess from the size (about 100 compressed bytes a row).
    return declared if declared is not None else len(data) // 100


def import_needs_job(data: bytes, filename: str = "") -> bool:
    return import_row_estimate(data, filename) > settings.IMPORT_BACKGROUND_ROWS


def import_job_start(
    data: bytes, filename: str, *, by=None, dry_run: bool = False, create_reps: bool = False
) -> ImportJob:
    """Store the upload and queue its import once committed (BrokerUnavailable: nothing stored)."""
    broker_check()
    with transaction.atomic():
        job = ImportJob.objects.create(
            requested_by=by, filename=filename[:255], data=data, dry_run=dry_run, create_reps=create_reps,
            rows_total=max(0, import_row_estimate(data, filename) - 1),
        )  # fmt: skip
        enqueue_after_commit(
            IMPORT_JOB_TASK,
            [[job.pk]],
            on_failure=lambda error: ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJobStatus.FAILED, error=str(error), finished_at=timezone.now()
            ),
        )
    return job


class _Progress:
    """Publishes rows done from another thread and connection: the import's own transaction
    is invisible to the page until it commits."""

    def __init__(self, job_id: int) -> None:
        self.job_id, self.done, self.total = job_id, 0, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"import-progress-{job_id}", daemon=True)

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def __enter__(self) -> _Progress:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        published = -1
        try:
            while not self.stop.wait(PROGRESS_INTERVAL_S):
                if self.done == published:
                    continue
                try:
                    ImportJob.objects.filter(pk=self.job_id).update(
                        rows_done=self.done, rows_total=self.total
                    )
                    published = self.done
                except DatabaseError as exc:  # SQLite: the import holds the write lock meanwhile
                    log.info("import %s: progress not saved (%s)", self.job_id, exc)
        finally:
            connections.close_all()


def import_job_run(job_id: int) -> ImportJob | None:
    """Run a queued job once (a redelivered message finds it running or finished: None)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(
        status=ImportJobStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("requested_by").get(pk=job_id)
    try:
        with _Progress(job.pk) as progress:
            report = import_customers(
                bytes(job.data),
                job.filename,
                by=job.requested_by,
                dry_run=job.dry_run,
                create_reps=job.create_reps,
                invite=invite_rep,
                progress=progress,
            )
    except Exception as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJobStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        raise
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.DONE,
        report=report_to_json(report),
        rows_done=report.rows,
        rows_total=report.rows,
        finished_at=timezone.now(),
    )
    if report.applied:
        imported_domains_check(report.new_domain_ids, requested_by=job.requested_by)
    job.refresh_from_db()
    return job
