"""Sweeps, checks and tasks in the Django admin (superusers only): lists render, sweeps resume."""

import pytest
from django.urls import reverse

from tests.factories import CampaignFactory
from tracker.choices import ChunkStatus
from tracker.models import Sweep
from tracker.services.sweeps import sweep_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def sweep(customer):
    sweep = sweep_start(CampaignFactory(), enqueue=False)
    Sweep.objects.filter(pk=sweep.pk).update(alert="DNS server unreachable? 1 of 1 domains timed out")
    return sweep


@pytest.mark.parametrize("model", ["sweep", "check", "domainstate", "followuptask", "customernotice"])
def test_the_lists_render_for_a_superuser(admin_client, sweep, model):
    response = admin_client.get(reverse(f"admin:tracker_{model}_changelist"))
    assert response.status_code == 200


def test_the_sweep_list_shows_the_alert(admin_client, sweep):
    response = admin_client.get(reverse("admin:tracker_sweep_changelist"))
    assert "DNS server unreachable?" in response.content.decode()


def test_a_sweep_can_be_resumed_from_the_list(admin_client, sweep, django_capture_on_commit_callbacks):
    sweep.chunks.update(status=ChunkStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            reverse("admin:tracker_sweep_changelist"),
            {"action": "resume", "_selected_action": [sweep.pk]},
            follow=True,
        )
    assert "1 chunks queued again." in response.content.decode()
    assert len(callbacks) == 1
    assert sweep.chunks.get().status == ChunkStatus.QUEUED


def test_reps_cannot_open_the_admin(rep_client, sweep):
    response = rep_client.get(reverse("admin:tracker_sweep_changelist"))
    assert response.status_code == 302


def test_a_tasks_history_shows_read_only_in_the_admin(admin_client, customer, superuser):
    from tracker.choices import TaskEventKind, TaskKind
    from tracker.models import FollowUpTask

    task = FollowUpTask.objects.create(
        campaign=CampaignFactory(), customer=customer, kind=TaskKind.MANUAL, title="Call back"
    )
    task.record(TaskEventKind.REOPENED_BY_HAND, superuser, "still <broken>")
    page = admin_client.get(reverse("admin:tracker_followuptask_change", args=[task.pk]))
    assert page.status_code == 200 and "still &lt;broken&gt;" in page.content.decode()
    for name in ("activity", "savedtaskview"):
        assert admin_client.get(reverse(f"admin:tracker_{name}_changelist")).status_code == 200
