"""The follow-up task worklist: overdue first, with evidence; done and snooze in place (htmx)."""

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from customers.roles import is_ops
from tracker.choices import ACTIVE_TASK_STATUSES
from tracker.filters import TaskFilterSet
from tracker.followup import task_close, task_snooze
from tracker.forms import TaskDoneForm, TaskSnoozeForm
from tracker.views.access import get_task_for_user, tasks_visible_to

PER_PAGE = 50


def _worklist(user, today):
    overdue = Q(status__in=ACTIVE_TASK_STATUSES, due_date__lt=today)
    return (
        tasks_visible_to(user)
        .select_related("customer", "customer__rep", "domain", "campaign", "closed_by")
        .annotate(
            overdue_first=Case(When(overdue, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("overdue_first", "-priority", "due_date", "pk")
    )


def task_list(request):
    today = timezone.localdate()
    filterset = TaskFilterSet(request.GET, queryset=_worklist(request.user, today), request=request)
    tasks = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    page = Paginator(tasks, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "today": today,
        "query": query.urlencode(),
        "is_ops": is_ops(request.user),
        "tomorrow": today + dt.timedelta(days=1),
    }
    return render(request, "tracker/task_list.html", context)


def _row(request, task, form=None, status=200):
    today = timezone.localdate()
    context = {"task": task, "today": today, "tomorrow": today + dt.timedelta(days=1), "form_error": form}
    return render(request, "tracker/includes/task_card.html", context, status=status)


def _answer(request, task, message: str):
    if request.headers.get("HX-Request"):
        return _row(request, task)
    messages.success(request, message)
    return redirect("tracker:task_list")


@require_POST
def task_done(request, pk):
    task = get_task_for_user(request.user, pk)
    form = TaskDoneForm(request.POST)
    if not form.is_valid():
        return _row(request, task, form, status=400)
    task = task_close(task, by=request.user, note=form.cleaned_data["note"])
    return _answer(request, _reload(request, task), "Task marked done.")


@require_POST
def task_snooze_view(request, pk):
    task = get_task_for_user(request.user, pk)
    form = TaskSnoozeForm(request.POST)
    if not form.is_valid():
        return _row(request, _reload(request, task), form, status=400)
    try:
        task = task_snooze(task, form.cleaned_data["until"], by=request.user)
    except ValueError as exc:
        form.add_error(None, str(exc))
        return _row(request, _reload(request, task), form, status=400)
    return _answer(request, _reload(request, task), f"Task snoozed until {task.snoozed_until:%Y-%m-%d}.")


def _reload(request, task):
    """The task as the list shows it (with its related rows), after a service changed it."""
    return _worklist(request.user, timezone.localdate()).get(pk=task.pk)
