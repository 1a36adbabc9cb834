"""API lists cost a fixed number of queries, whatever the number of rows on the page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.reports import legacy_report, store
from tracker.choices import TaskKind
from tracker.models import FollowUpTask
from tracker.services.tokens import token_create


def _add(campaign, rep, n: int) -> None:
    for _ in range(n):
        customer = CustomerFactory(rep=rep)
        domain = DomainFactory(customer=customer)
        store(campaign, domain, legacy_report(domain.name))
        FollowUpTask.objects.create(
            campaign=campaign, customer=customer, domain=domain, assignee=rep, kind=TaskKind.LEGACY_MX
        )


def _queries(client, token, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200, answer.content
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/customers/", "/api/domains/", "/api/tasks/"])
def test_a_list_page_costs_the_same_for_3_rows_and_30(client, ops_user, rep, path):
    campaign = CampaignFactory(end_date=timezone.localdate() + dt.timedelta(days=30))
    _row, token = token_create(ops_user, "t", "read")
    _add(campaign, rep, 3)
    _queries(client, token, path)  # the token's first use writes last_used_at (then once a minute)
    few = _queries(client, token, path)
    _add(campaign, rep, 27)
    many = _queries(client, token, path)
    assert many == few <= 5
