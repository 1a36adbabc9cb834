"""A rep works through the task list in a real browser: done on a still-legacy domain waits for DNS,
a snooze, a bulk action, a logged call, a reopen by hand; focus stays in the row htmx swapped."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.reports import legacy_report
from tracker.choices import TaskKind, TaskStatus
from tracker.models import Activity, FollowUpTask
from tracker.services.sweeps import check_store
from tracker.services.tasks import task_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(customer, rep):
    """Acme checked as legacy (the rules opened its task); Kobe Foods with two tasks Alice wrote."""
    today = timezone.localdate()
    campaign = CampaignFactory(end_date=today + dt.timedelta(days=40))
    acme = customer.domains.get()
    with transaction.atomic():
        check_store(campaign, acme, legacy_report(acme.name))
    kobe = CustomerFactory(name="Kobe Foods", rep=rep)
    DomainFactory(customer=kobe, name="kobe-foods.example")
    calls = [
        task_create(
            campaign=campaign, customer=kobe, by=rep, title=title, due_date=today + dt.timedelta(days=3)
        )
        for title in ("Call back", "Send the contract")
    ]
    return {
        "acme_task": FollowUpTask.objects.get(domain=acme, kind=TaskKind.LEGACY_SPF_INCLUDE),
        "calls": calls,
        "kobe": kobe,
        "snoozable": task_create(
            campaign=campaign, customer=customer, by=rep, title="Ask IT", due_date=today
        ),
    }


def row(page, task):
    return page.locator(f"#task-{task.pk}")


def focused_row(page) -> str | None:
    return page.evaluate(
        "() => { const r = document.activeElement.closest('.task-card'); return r && r.id; }"
    )


def test_a_reps_day_in_the_task_list(page, live_server, login, screenshot, world):
    login("alice")
    page.goto(f"{live_server.url}/tasks/")
    screenshot("tasks-grouped")
    assert page.locator(".task-group").count() == 2

    # Done on a domain whose DNS still shows the include: waiting for DNS, still in the queue.
    acme = row(page, world["acme_task"])
    acme.get_by_label("Note").fill("Customer will change it today")
    acme.get_by_role("button", name="Done").click()
    page.locator(f"#task-{world['acme_task'].pk}[data-status='waiting_dns']").wait_for()
    assert "Waiting for DNS" in row(page, world["acme_task"]).inner_text()
    assert focused_row(page) == f"task-{world['acme_task'].pk}"  # focus stayed in the swapped row
    assert page.evaluate("() => document.activeElement.dataset.focusKey") == "done"
    page.reload()
    assert row(page, world["acme_task"]).get_attribute("data-status") == "waiting_dns"

    # Snooze "tomorrow": out of the default list.
    row(page, world["snoozable"]).get_by_role("button", name="Snooze: tomorrow").click()
    page.locator(f"#task-{world['snoozable'].pk}[data-status='snoozed']").wait_for()
    page.reload()
    assert row(page, world["snoozable"]).count() == 0

    # Bulk done of Kobe's two tasks.
    for task in world["calls"]:
        row(page, task).locator("input.task-select").check()
    page.get_by_label("With the selected tasks").select_option("done")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state("networkidle")
    assert "2 task(s) changed" in page.locator("main").inner_text()
    assert all(row(page, task).count() == 0 for task in world["calls"])
    assert {t.status for t in FollowUpTask.objects.filter(pk__in=[t.pk for t in world["calls"]])} == {
        TaskStatus.DONE
    }
    screenshot("tasks-after-bulk")

    # Log a call on the customer page; its next step lands in the task list.
    page.goto(f"{live_server.url}/customers/{world['kobe'].pk}/")
    log = page.get_by_role("form", name="Log an activity")
    log.get_by_label("What").select_option("call")
    log.get_by_label("Note").fill("Spoke to Tanaka-san: wants a quote")
    log.get_by_label("Next step on").fill((timezone.localdate() + dt.timedelta(days=7)).isoformat())
    log.get_by_role("button", name="Log it").click()
    page.wait_for_load_state("networkidle")
    assert "Spoke to Tanaka-san" in page.locator("#activity-entries").inner_text()
    screenshot("customer-activity-log")
    next_step = Activity.objects.get().next_step_task
    page.goto(f"{live_server.url}/tasks/")
    assert row(page, next_step).count() == 1

    # Reopen a done task by hand, from the keyboard: focus stays in its row.
    page.goto(f"{live_server.url}/tasks/?status=done")
    call = world["calls"][0]
    row(page, call).get_by_role("button", name="Reopen").focus()
    page.keyboard.press("Enter")
    page.locator(f"#task-{call.pk}[data-status='open']").wait_for()
    assert focused_row(page) == f"task-{call.pk}"
    call.refresh_from_db()
    assert call.status == TaskStatus.OPEN and call.events.last().action == "reopened_hand"
    screenshot("tasks-reopened")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/tasks/")
    screenshot("tasks-phone")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling
