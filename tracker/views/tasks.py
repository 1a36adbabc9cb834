"""The follow-up task worklist: grouped by customer, bulk actions, saved views; steps in place (htmx).

Every task is found through `tracker.queries.access` (another rep's task is a
404), every step goes through `tracker.services.tasks` or the task's methods.
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.access import get_customer_for_user
from customers.roles import is_ops
from tracker.filters import TaskFilterSet, filter_chips
from tracker.forms import (
    SavedTaskViewForm,
    TaskBulkForm,
    TaskCreateForm,
    TaskDoneForm,
    TaskReopenForm,
    TaskSnoozeForm,
)
from tracker.models import SavedTaskView, TaskStateError
from tracker.queries.access import get_task_for_user, tasks_visible_to
from tracker.queries.campaigns import active_campaign
from tracker.queries.worklist import worklist_group_keys, worklist_groups, worklist_order
from tracker.services import tasks as task_steps
from tracker.services.tasks import SnoozePreset, task_create, task_reopen, tasks_bulk

# Customers per page: each with all its tasks, so one customer's work is never split over pages.
GROUPS_PER_PAGE = 15


def _worklist(user, today):
    # Related rows for the page only: joining them before the sort made PostgreSQL join every open
    # task (40,000 on a large campaign) to its domain and customer, then keep 50.
    tasks = (
        tasks_visible_to(user)
        .select_related("campaign")
        .prefetch_related("customer__rep", "domain", "closed_by", "assignee", "events__by")
    )
    return worklist_order(tasks, today)


def _dates(today: dt.date) -> dict:
    return {"today": today, "tomorrow": today + dt.timedelta(days=1), "snooze_presets": SnoozePreset.CHOICES}


def _list_query(request) -> str:
    """The list's filters and ordering as a query string, without the page number (for saved views)."""
    pairs = [(key, value) for key, values in request.GET.lists() if key != "page" for value in values]
    return urlencode(pairs)


def task_list(request):
    today = timezone.localdate()
    user = request.user
    filterset = TaskFilterSet(request.GET, queryset=_worklist(user, today), request=request)
    tasks = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    ordering = (filterset.form.cleaned_data.get("ordering") if filterset.is_valid() else "") or "urgent"
    totals = tasks.aggregate(tasks=Count("pk"), customers=Count("customer_id", distinct=True))
    paginator = Paginator(worklist_group_keys(tasks, today, ordering), GROUPS_PER_PAGE)
    paginator.count = totals["customers"]  # counted above with the tasks: one query, not two
    page = paginator.get_page(request.GET.get("page"))
    groups = worklist_groups(tasks, [row["customer_id"] for row in page.object_list])
    ops = is_ops(user)
    query = _list_query(request)
    context = {
        "filter": filterset,
        "filter_chips": filter_chips(filterset, request.GET),
        "groups": groups,
        "page_obj": page,
        "paginator": paginator,
        "task_count": totals["tasks"],
        "is_ops": ops,
        "bulk_form": TaskBulkForm(can_reassign=ops),
        "saved_views": SavedTaskView.objects.filter(user=user),
        "save_view_form": SavedTaskViewForm(initial={"query": query}),
        "current_query": query,
        **_dates(today),
    }
    return render(request, "tracker/task_list.html", context)


def _card(request, task, form=None, status=200):
    context = {
        "task": task,
        "form_error": form,
        "is_ops": is_ops(request.user),
        **_dates(timezone.localdate()),
    }
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
    task = task_steps.task_done(task, request.user, form.cleaned_data["note"])
    if task.status == "waiting_dns":
        message = _("Marked done. DNS still shows the problem: the task waits for DNS until %(day)s.") % {
            "day": f"{task.waiting_until:%Y-%m-%d}"
        }
    else:
        message = _("Task marked done.")
    return _answer(request, _reload(request, task), message)


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
    return _answer(
        request,
        _reload(request, task),
        _("Task snoozed until %(day)s.") % {"day": f"{task.snoozed_until:%Y-%m-%d}"},
    )


@require_POST
def task_reopen_view(request, pk):
    task = get_task_for_user(request.user, pk)
    form = TaskReopenForm(request.POST)
    if not form.is_valid():
        return _card(request, _reload(request, task), form, status=400)
    try:
        task = task_reopen(task, request.user, form.cleaned_data["note"])
    except TaskStateError as exc:
        form.add_error(None, str(exc))
        return _card(request, _reload(request, task), form, status=400)
    return _answer(request, _reload(request, task), _("Task reopened."))


@require_POST
def tasks_bulk_view(request):
    """Done, snooze or reassign (ops) many tasks at once; any task not the user's is a 404, nothing changed."""
    ops = is_ops(request.user)
    form = TaskBulkForm(request.POST, can_reassign=ops)
    if not form.is_valid():
        if any(error.code == "forbidden" for error in form.non_field_errors().as_data()):
            return HttpResponseForbidden(_("Only operations reassign tasks."))
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back(request))
    ids = set(form.cleaned_data["task"])
    tasks = list(tasks_visible_to(request.user).filter(pk__in=ids).select_related("campaign", "customer"))
    if len(tasks) != len(ids):
        raise Http404("No such task")
    result = tasks_bulk(
        tasks,
        form.cleaned_data["action"],
        request.user,
        until=form.cleaned_data.get("until"),
        assignee=form.cleaned_data.get("assignee"),
    )
    messages.success(request, _("%(count)d task(s) changed.") % {"count": result.changed})
    for task, why in result.skipped:
        messages.warning(request, _("%(task)s: not changed (%(why)s).") % {"task": task, "why": why})
    return redirect(_back(request))


def _back(request) -> str:
    """Back to the list as the user had it (the query string they posted from)."""
    query = request.POST.get("back", "")
    return reverse("tracker:task_list") + (
        f"?{query}" if query and not query.startswith(("/", "http")) else ""
    )


@require_POST
def task_add(request, customer_pk):
    """A rep writes a task for their own customer (call back, send the contract)."""
    customer = get_customer_for_user(request.user, customer_pk)
    campaign = active_campaign()
    form = TaskCreateForm(request.POST)
    target = reverse("tracker:customer_detail", args=[customer.pk]) + "#open-tasks-heading"
    if campaign is None:
        messages.error(request, _("There is no active campaign to add the task to."))
        return redirect(target)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(
                    request, f"{form.fields[field].label if field in form.fields else ''}: {error}"
                )
        return redirect(target)
    task = task_create(campaign=campaign, customer=customer, by=request.user, **form.cleaned_data)
    due = f" ({_('due')} {task.due_date:%Y-%m-%d})" if task.due_date else ""
    messages.success(request, _("Task added: %(title)s") % {"title": task.title} + due)
    return redirect(target)


@require_POST
def saved_view_create(request):
    form = SavedTaskViewForm(request.POST)
    if form.is_valid():
        SavedTaskView.objects.update_or_create(
            user=request.user, name=form.cleaned_data["name"], defaults={"query": form.cleaned_data["query"]}
        )
        messages.success(request, _("View saved: %(name)s") % {"name": form.cleaned_data["name"]})
        query = form.cleaned_data["query"]
        return redirect(reverse("tracker:task_list") + (f"?{query}" if query else ""))
    messages.error(request, _("Give the view a name."))
    return redirect("tracker:task_list")


@require_POST
def saved_view_delete(request, pk):
    get_object_or_404(SavedTaskView, pk=pk, user=request.user).delete()
    messages.success(request, _("View deleted."))
    return redirect("tracker:task_list")
