"""The status workflow lives in the model: allowed moves, refused moves, the audit log."""

import pytest
import time_machine

from customers.choices import ALLOWED_TRANSITIONS, MigrationStatus
from customers.models import CustomerConflict, StatusChange, StatusTransitionError
from tests.factories import CustomerFactory

S = MigrationStatus


@pytest.mark.parametrize(
    "path",
    [
        [S.CONTACTED, S.SCHEDULED, S.MIGRATING, S.MIGRATED],
        [S.CONTACTED, S.MIGRATING, S.MIGRATED],
        [S.CONTACTED, S.SCHEDULED, S.CONTACTED, S.SCHEDULED],
        [S.UNREACHABLE, S.CONTACTED, S.LEAVING, S.CONTACTED],
        [S.CONTACTED, S.MIGRATING, S.MIGRATED, S.MIGRATING, S.SCHEDULED],
    ],
)
def test_it_follows_allowed_paths(rep, path):
    customer = CustomerFactory(rep=rep)
    for status in path:
        customer.change_status(status, by=rep)
    customer.refresh_from_db()
    assert customer.status == path[-1]
    assert customer.version == 1 + len(path)


@pytest.mark.parametrize(
    "start,target",
    [
        (S.NOT_CONTACTED, S.MIGRATED),
        (S.NOT_CONTACTED, S.SCHEDULED),
        (S.CONTACTED, S.MIGRATED),
        (S.CONTACTED, S.NOT_CONTACTED),
        (S.MIGRATED, S.LEAVING),
        (S.MIGRATED, S.NOT_CONTACTED),
        (S.LEAVING, S.MIGRATED),
        (S.UNREACHABLE, S.MIGRATING),
        (S.SCHEDULED, S.SCHEDULED),
    ],
)
def test_it_refuses_other_moves(rep, start, target):
    customer = CustomerFactory(rep=rep, status=start)
    with pytest.raises(StatusTransitionError) as excinfo:
        customer.change_status(target, by=rep)
    assert str(S(start).label) in str(excinfo.value)  # labels are translatable (lazy)
    customer.refresh_from_db()
    assert customer.status == start
    assert customer.version == 1
    assert not StatusChange.objects.exists()


def test_every_active_status_may_leave_or_become_unreachable():
    for status in (S.NOT_CONTACTED, S.CONTACTED, S.SCHEDULED, S.MIGRATING):
        assert {S.LEAVING, S.UNREACHABLE} <= ALLOWED_TRANSITIONS[status]
        assert status.is_active
    assert not S.MIGRATED.is_active


def test_every_status_has_a_colour():
    assert all(status.colour for status in S)


def test_it_records_who_when_and_why(rep):
    customer = CustomerFactory(rep=rep)
    with time_machine.travel("2026-03-01 10:00Z", tick=False):
        change = customer.change_status(S.CONTACTED, by=rep, note="Called the IT lead")
    assert change.customer == customer
    assert change.changed_by == rep
    assert change.changed_at.isoformat() == "2026-03-01T10:00:00+00:00"
    assert (change.from_status, change.to_status, change.note) == (
        "not_contacted",
        "contacted",
        "Called the IT lead",
    )
    customer.refresh_from_db()
    assert customer.status_changed_at == change.changed_at


def test_history_cannot_be_edited(rep):
    customer = CustomerFactory(rep=rep)
    change = customer.change_status(S.CONTACTED, by=rep)
    change.note = "rewritten"
    with pytest.raises(TypeError):
        change.save()
    with pytest.raises(TypeError):
        StatusChange.objects.filter(pk=change.pk).update(note="rewritten")
    assert StatusChange.objects.get().note == ""


def test_a_stale_status_change_is_refused(rep, other_rep):
    customer = CustomerFactory(rep=rep)
    page_version = customer.version
    customer.change_status(S.CONTACTED, by=other_rep)
    with pytest.raises(CustomerConflict) as excinfo:
        customer.change_status(S.UNREACHABLE, by=rep, expected_version=page_version)
    assert excinfo.value.current.status == S.CONTACTED
    assert StatusChange.objects.count() == 1
