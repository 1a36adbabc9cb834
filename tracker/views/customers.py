"""The rep's workspace: the customer list, a customer's page, its edits, import and export.

Every view finds customers through `customers.access` (another rep's customer is
a 404); state changes go through model methods and services (Customer.update,
change_status, customers.services), never by setting fields here.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers import exporter
from customers.access import customers_visible_to, get_customer_for_user
from customers.choices import ImportJobStatus
from customers.importer import COLUMNS, import_customers, report_from_json
from customers.invitations import invite_rep
from customers.models import Customer, CustomerConflict, ImportJob, StatusTransitionError
from customers.roles import is_ops
from customers.services import (
    DomainChangeError,
    domain_add,
    domain_history,
    domain_remove,
    split_domain_names,
)
from tracker.common.spreadsheets import CONTENT_TYPES
from tracker.filters import CustomerFilterSet
from tracker.forms import (
    ActivityForm,
    ChangeStatusForm,
    CustomerForm,
    DomainAddForm,
    ImportForm,
    TaskCreateForm,
)
from tracker.probe.domains import to_unicode
from tracker.queries import workspace
from tracker.queries.campaigns import active_campaign
from tracker.queries.changelog import customer_change_log
from tracker.queries.timeline import customer_activity_log
from tracker.services.enqueue import BrokerUnavailable
from tracker.services.imports import import_job_start, import_needs_job
from tracker.services.sweeps import imported_domains_check
from tracker.tables import CustomerTable
from tracker.views.decorators import ops_required
from tracker.views.listing import csv_for_excel, export_response, render_list

# The detail page reads the customer's domains several times (list, verdicts): one query.
DETAIL_QUERYSET = Customer.objects.select_related("rep").prefetch_related("domains")


def customer_url(customer, anchor: str = "") -> str:
    return reverse("tracker:customer_detail", args=[customer.pk]) + (f"#{anchor}" if anchor else "")


def customer_list(request):
    campaign = active_campaign()
    return render_list(
        request,
        queryset=customers_visible_to(request.user, workspace.customer_list(campaign)),
        filterset_class=CustomerFilterSet,
        table_class=CustomerTable,
        template_name="tracker/customer_list.html",
        table_kwargs={"campaign": campaign, "ops": is_ops(request.user)},
    )


def _detail_context(request, customer, status_form=None, status_conflict="", domain_form=None):
    campaign = active_campaign()
    open_tasks = workspace.customer_open_tasks(request.user, customer)
    history = list(customer.status_changes.select_related("changed_by"))
    notices = list(customer.notices.select_related("campaign", "drafted_by", "sent_by"))
    return {
        "customer": customer,
        "domains": customer.domains.all(),
        "domain_rows": workspace.customer_domain_rows(customer, campaign),
        "history": history,
        "status_form": status_form or ChangeStatusForm(customer=customer),
        "status_conflict": status_conflict,
        "open_tasks": open_tasks,
        "next_task": workspace.next_open_task(open_tasks),
        "domain_form": domain_form or DomainAddForm(),
        "notices": notices,
        "task_form": TaskCreateForm(),
        "activity_form": ActivityForm(),
        "activity_log": customer_activity_log(customer, changes=history, notices=notices),
        # Operations see every edit with before/after values (django-auditlog).
        "change_log": customer_change_log(customer) if is_ops(request.user) else None,
    }


def _detail_page(request, customer, status=200, **context):
    return render(
        request, "tracker/customer_detail.html", _detail_context(request, customer, **context), status=status
    )


def customer_detail(request, pk):
    return _detail_page(request, get_customer_for_user(request.user, pk, DETAIL_QUERYSET))


@require_POST
def customer_status(request, pk):
    """Move a customer along the workflow: in place for htmx (a fragment), else the whole page."""
    in_place = bool(request.headers.get("HX-Request"))
    customer = get_customer_for_user(request.user, pk, DETAIL_QUERYSET)
    form = ChangeStatusForm(request.POST, customer=customer)
    if not form.is_valid():
        return _status_answer(request, in_place, customer, form, status=400)
    try:
        change = customer.change_status(
            form.cleaned_data["to_status"],
            by=request.user,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        )
    except CustomerConflict as conflict:
        if conflict.current is None:
            messages.error(request, "This customer was deleted meanwhile.")
            return redirect("tracker:customer_list")
        current = conflict.current
        # A fresh form for the current state, keeping the note they typed.
        fresh = ChangeStatusForm(customer=current, initial={"note": form.cleaned_data["note"]})
        message = (
            f"Someone changed this customer while you were looking (status is now "
            f"{current.status_choice.label}). Your change was not saved; check and submit again."
        )
        return _status_answer(request, in_place, current, fresh, status=409, error=message)
    except StatusTransitionError as exc:
        form.add_error("to_status", str(exc))
        return _status_answer(request, in_place, customer, form, status=400)
    if in_place:
        return _status_fragment(request, customer, ChangeStatusForm(customer=customer), change=change)
    messages.success(request, f"Status changed to {customer.status_choice.label}.")
    return redirect(customer_url(customer))


def _status_answer(request, in_place, customer, form, status, error=""):
    if in_place:
        return _status_fragment(request, customer, form, status=status, error=error)
    return _detail_page(request, customer, status=status, status_form=form, status_conflict=error)


def _status_fragment(request, customer, form, status=200, error="", change=None):
    context = {"customer": customer, "status_form": form, "error": error, "change": change}
    return render(request, "includes/customer_status_inline.html", context, status=status)


def _shown(name: str) -> str:
    """A stored A-label as the success message shows it: `xn--r8jz45g.jp (例え.jp)`."""
    readable = to_unicode(name)
    return name if readable == name else f"{name} ({readable})"


@require_POST
def customer_domain_add(request, pk):
    """Add one or more domains to a customer, all or nothing (customers.services.domain_add)."""
    customer = get_customer_for_user(request.user, pk, DETAIL_QUERYSET)
    form = DomainAddForm(request.POST)
    if form.is_valid():
        try:
            added = domain_add(customer, split_domain_names(form.cleaned_data["names"]), by=request.user)
        except DomainChangeError as exc:
            for error in exc.errors:
                form.add_error("names", error)
        else:
            names = ", ".join(_shown(domain.name) for domain in added)
            messages.success(request, f"Added {len(added)} domain{'s' if len(added) != 1 else ''}: {names}.")
            return redirect(customer_url(customer, "domains"))
    return _detail_page(request, customer, status=400, domain_form=form)


def customer_domain_remove(request, pk, domain_pk):
    """GET asks for confirmation; POST deletes the domain.

    Checks and follow-up tasks protect their domain, so a domain with any stored
    check or task (open or closed) is kept and the user is told why: the sweep
    history and what reps did about it matter more to operations than a tidy
    list. Only a domain nothing has recorded yet (a typo, a wrong paste) goes.
    """
    customer = get_customer_for_user(request.user, pk, Customer.objects.select_related("rep"))
    domain = get_object_or_404(customer.domains, pk=domain_pk)
    if request.method == "POST":
        try:
            domain_remove(domain, by=request.user)
        except DomainChangeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Removed {_shown(domain.name)}.")
        return redirect(customer_url(customer, "domains"))
    checks, tasks = domain_history(domain)
    context = {"customer": customer, "domain": domain, "checks": checks, "tasks": tasks}
    return render(request, "tracker/customer_domain_remove.html", context)


def _differences(form, current: Customer) -> list[dict]:
    """For a conflict: the fields where the saved customer differs from what the user typed."""
    rows = []
    for name in form.changes():
        mine = form.cleaned_data[name]
        theirs = getattr(current, name)
        if mine != theirs:
            rows.append({"label": form.fields[name].label, "mine": mine, "saved": theirs})
    return rows


def customer_edit(request, pk):
    customer = get_customer_for_user(request.user, pk, Customer.objects.select_related("rep"))
    can_reassign = is_ops(request.user)
    template = "tracker/customer_form.html"
    if request.method != "POST":
        form = CustomerForm(instance=customer, can_reassign=can_reassign)
        return render(request, template, {"customer": customer, "form": form})

    # The form validates against a copy, so `customer` keeps the values it was read with.
    form = CustomerForm(
        request.POST, instance=Customer.objects.get(pk=customer.pk), can_reassign=can_reassign
    )
    if not form.is_valid():
        return render(request, template, {"customer": customer, "form": form}, status=400)
    try:
        changed = customer.update(
            form.changes(), expected_version=form.cleaned_data["version"], by=request.user
        )
    except CustomerConflict as conflict:
        if conflict.current is None:
            messages.error(request, "This customer was deleted meanwhile.")
            return redirect("tracker:customer_list")
        differences = _differences(form, conflict.current)
        # Keep their input; the next submit, made knowingly, applies it over the new version.
        data = request.POST.copy()
        data["version"] = str(conflict.current.version)
        form = CustomerForm(data, instance=conflict.current, can_reassign=can_reassign)
        form.is_valid()
        form.add_error(
            None,
            "Someone else saved this customer after you opened this page. Your input is kept below; "
            "compare it with the saved values, then save again to overwrite them.",
        )
        context = {"customer": conflict.current, "form": form, "differences": differences}
        return render(request, template, context, status=409)
    if changed:
        messages.success(request, "Customer saved.")
    else:
        messages.info(request, "Nothing changed.")
    return redirect(customer_url(customer))


@ops_required
def customer_import(request):
    report = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            if import_needs_job(data, upload.name):
                return _start_import_job(
                    request, data, upload.name, form.cleaned_data["dry_run"], form.cleaned_data["create_reps"]
                )
            report = import_customers(
                data,
                upload.name,
                by=request.user,
                dry_run=form.cleaned_data["dry_run"],
                create_reps=form.cleaned_data["create_reps"],
                invite=invite_rep,
            )
            if report.applied:
                imported_domains_check(report.new_domain_ids, requested_by=request.user)
                messages.success(request, report.summary())
    else:
        form = ImportForm()
    return render(
        request, "tracker/customer_import.html", {"form": form, "report": report, "columns": COLUMNS}
    )


def _start_import_job(request, data: bytes, filename: str, dry_run: bool, create_reps: bool):
    """Too many rows for a request: a worker imports it; the job page shows progress, then the report."""
    try:
        job = import_job_start(data, filename, by=request.user, dry_run=dry_run, create_reps=create_reps)
    except BrokerUnavailable as exc:
        messages.error(request, _("The import was not started. %(why)s") % {"why": exc})
        return redirect("tracker:customer_import")
    return redirect("tracker:customer_import_job", pk=job.pk)


@ops_required
def customer_import_job(request, pk):
    """A background import: progress while it runs, the same report as a small import when done."""
    job = get_object_or_404(ImportJob.objects.defer("data"), pk=pk)
    report = report_from_json(job.report) if job.status == ImportJobStatus.DONE and job.report else None
    if report is not None and report.applied and job.requested_by_id == request.user.pk:
        messages.success(request, report.summary())
    context = {"job": job, "report": report, "columns": COLUMNS}
    return render(request, "tracker/customer_import_job.html", context)


def customer_export(request):
    """The visible customers, with the list's filters applied, as CSV or XLSX with the import's columns."""
    fmt = request.GET.get("format", "csv")
    if fmt not in CONTENT_TYPES:
        fmt = "csv"
    queryset = CustomerFilterSet(request.GET, queryset=customers_visible_to(request.user), request=request).qs
    return export_response(
        exporter.export_table(queryset), fmt, "customers", text_only=True, excel=csv_for_excel(request)
    )
