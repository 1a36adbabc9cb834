"""The follow-up task worklist: overdue first, with evidence; done and snooze in place (htmx)."""

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from customers.roles import is_ops
from tracker.filters import TaskFilterSet
from tracker.forms import TaskDoneForm, TaskSnoozeForm
from tracker.models import TaskStateError
from tracker.queries.access import get_task_for_user, tasks_visible_to
from tracker.queries.worklist import worklist_order
from tracker.tables import TaskTable
from tracker.views.listing import render_list


def _worklist(user, today):
    # Related rows for the page only: joining them before the sort made PostgreSQL join every open
    # task (40,000 on a large campaign) to its domain and customer, then keep 50.
    tasks = tasks_visible_to(user).select_related("campaign").prefetch_related("customer__rep", "domain", "closed_by")
    return worklist_order(tasks, today)


def _dates(today: dt.date) -> dict:
    return {"today": today, "tomorrow": today + dt.timedelta(days=1)}


def task_list(request):
    today = timezone.localdate()
    return render_list(
        request,
        queryset=_worklist(request.user, today),
        filterset_class=TaskFilterSet,
        table_class=TaskTable,
        template_name="tracker/task_list.html",
        table_kwargs={"today": today},
        context={"is_ops": is_ops(request.user)},
    )


def _card(request, task, form=None, status=200):
    context = {"task": task, "form_error": form, **_dates(timezone.localdate())}
    return render(request, "tracker/includes/task_card.html", context, status=status)


def _answer(request, task, message: str):
    if request.headers.get("HX-Request"):
        return _card(request, task)
    messages.success(request, message)
    return redirect("tracker:task_list")


def _reload(request, task):
    """The task as the list shows it (with its related rows), after a step changed it."""
    return _worklist(request.user, timezone.localdate()).get(pk=task.pk)


@require_POST
def task_done(request, pk):
    task = get_task_for_user(request.user, pk)
    form = TaskDoneForm(request.POST)
    if not form.is_valid():
        return _card(request, task, form, status=400)
    task = task.close(by=request.user, note=form.cleaned_data["note"])
    return _answer(request, _reload(request, task), "Task marked done.")


@require_POST
def task_snooze(request, pk):
    task = get_task_for_user(request.user, pk)
    form = TaskSnoozeForm(request.POST)
    if not form.is_valid():
        return _card(request, _reload(request, task), form, status=400)
    try:
        task = task.snooze(form.cleaned_data["until"], by=request.user)
    except TaskStateError as exc:
        form.add_error(None, str(exc))
        return _card(request, _reload(request, task), form, status=400)
    return _answer(request, _reload(request, task), f"Task snoozed until {task.snoozed_until:%Y-%m-%d}.")
