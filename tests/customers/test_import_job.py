"""Imports beyond IMPORT_BACKGROUND_ROWS run on a real Celery worker, with progress and the same report.

Before: 3,000 rows took 40 s inside the request (and held SQLite's lock).
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.choices import ImportJobStatus
from customers.models import Customer, ImportJob
from tests import conftest_celery
from tests.conftest_celery import wait_for

celery_app = conftest_celery.celery_app
celery_worker = conftest_celery.celery_worker
redis_url = conftest_celery.redis_url

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

URL = reverse("tracker:customer_import")
HEADER = "account_id,customer_name,rep_username,status,domains\n"


def rows_csv(count: int, bad_row: int | None = None) -> bytes:
    lines = [HEADER]
    for i in range(count):
        status = "no-such-status" if i == bad_row else "contacted"
        lines.append(f"ACC-{i},Customer {i},carol,{status},c{i}.example\n")
    return "".join(lines).encode()


@pytest.fixture
def background(settings):
    settings.IMPORT_BACKGROUND_ROWS = 50


def finished(job_id):
    job = ImportJob.objects.get(pk=job_id)
    return job if job.is_finished else None


def test_a_big_import_runs_on_a_worker_and_shows_its_report(ops_client, background, celery_worker):
    upload = SimpleUploadedFile("big.csv", rows_csv(120), content_type="text/csv")
    response = ops_client.post(URL, {"file": upload, "create_reps": "on"})  # carol is new: created, invited
    job = ImportJob.objects.get()
    assert job.create_reps
    assert response.status_code == 302
    assert response["Location"] == reverse("tracker:customer_import_job", args=[job.pk])
    job = wait_for(lambda: finished(job.pk), timeout=60)
    assert job.status == ImportJobStatus.DONE and job.rows_done == 120
    assert Customer.objects.count() == 120
    text = ops_client.get(response["Location"]).content.decode()
    assert "120 row(s): 120 customer(s) created" in text


def test_a_big_import_with_one_bad_row_imports_nothing_and_names_the_row(
    ops_client, background, celery_worker
):
    upload = SimpleUploadedFile("big.csv", rows_csv(120, bad_row=77), content_type="text/csv")
    response = ops_client.post(URL, {"file": upload})
    job = wait_for(lambda: finished(ImportJob.objects.get().pk), timeout=60)
    assert job.status == ImportJobStatus.DONE
    assert not Customer.objects.exists()
    text = ops_client.get(response["Location"]).content.decode()
    assert "nothing was imported" in text and "<td>79</td>" in text  # row 79: header + 78th data row


def test_the_job_page_shows_progress_while_it_waits(ops_client, background, celery_app):
    """No worker running: the job waits queued, the page refreshes itself and says how far it is."""
    ops_client.post(URL, {"file": SimpleUploadedFile("big.csv", rows_csv(60), content_type="text/csv")})
    job = ImportJob.objects.get()
    text = ops_client.get(reverse("tracker:customer_import_job", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' in text and "0 of about 60 rows checked" in text
    assert not Customer.objects.exists()


def test_reps_cannot_see_an_import_job(rep_client, ops_user, background, celery_app):
    job = ImportJob.objects.create(filename="x.csv", data=b"", requested_by=ops_user)
    assert rep_client.get(reverse("tracker:customer_import_job", args=[job.pk])).status_code == 403
