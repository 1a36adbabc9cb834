"""Customer pages. Every view finds customers through customers.access; state changes go
through model methods (Customer.update / change_status), never by setting fields here.
"""

from django.contrib import messages
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from customers import exporter
from customers.access import customers_visible_to, get_customer_for_user, ops_required
from customers.filters import CustomerFilterSet
from customers.forms import ChangeStatusForm, CustomerForm, DomainAddForm, ImportForm
from customers.importer import COLUMNS, import_customers
from customers.models import Customer, CustomerConflict, StatusTransitionError
from customers.roles import is_ops
from customers.services import (
    DomainChangeError,
    domain_add,
    domain_history,
    domain_remove,
    split_domain_names,
)
from customers.tables import CustomerTable
from customers.templatetags.customers_tags import unicode_domain
from tracker.choices import ACTIVE_TASK_STATUSES
from tracker.dashboards import active_campaign, customer_workspace_annotations
from tracker.views.access import tasks_visible_to

# The detail page reads the customer's domains several times (list, verdicts): one query.
DETAIL_QUERYSET = Customer.objects.select_related("rep").prefetch_related("domains")


class CustomerListView(SingleTableMixin, FilterView):
    """Configured, not written: visible customers, filtered, as a table, paginated."""

    model = Customer
    table_class = CustomerTable
    filterset_class = CustomerFilterSet
    template_name = "customers/customer_list.html"
    # The table paginates; ListView's own paginate_by would count the rows a second time.
    table_pagination = {"per_page": 50}

    def get_queryset(self):
        self.campaign = active_campaign()
        queryset = Customer.objects.for_list().annotate(**customer_workspace_annotations(self.campaign))
        return customers_visible_to(self.request.user, queryset)

    def get_table_kwargs(self):
        return {"campaign": self.campaign, "ops": is_ops(self.request.user)}

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["request"] = self.request
        return kwargs

    def get_table_data(self):
        # FilterView already applied the filters; don't let ListView evaluate the list a second time.
        return self.object_list


customer_list = CustomerListView.as_view()


def _open_tasks(user, customer):
    """The customer's open follow-up tasks this user may see, most urgent first."""
    tasks = customer.tasks.filter(status__in=ACTIVE_TASK_STATUSES)
    return (
        tasks_visible_to(user, tasks)
        .select_related("domain")
        .order_by(F("due_date").asc(nulls_last=True), "-priority", "pk")
    )


def _detail_context(request, customer, status_form=None, status_conflict="", domain_form=None):
    return {
        "customer": customer,
        "domains": customer.domains.all(),
        "history": customer.status_changes.select_related("changed_by"),
        "status_form": status_form or ChangeStatusForm(customer=customer),
        "status_conflict": status_conflict,
        "open_tasks": _open_tasks(request.user, customer),
        "domain_form": domain_form or DomainAddForm(),
        "notices": customer.notices.select_related("campaign", "drafted_by", "sent_by"),
    }


def customer_detail(request, pk):
    customer = get_customer_for_user(request.user, pk, DETAIL_QUERYSET)
    return render(request, "customers/customer_detail.html", _detail_context(request, customer))


@require_POST
def customer_status(request, pk):
    customer = get_customer_for_user(request.user, pk, DETAIL_QUERYSET)
    form = ChangeStatusForm(request.POST, customer=customer)
    if not form.is_valid():
        return render(
            request, "customers/customer_detail.html", _detail_context(request, customer, form), status=400
        )
    try:
        customer.change_status(
            form.cleaned_data["to_status"],
            by=request.user,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        )
    except CustomerConflict as conflict:
        if conflict.current is None:
            messages.error(request, "This customer was deleted meanwhile.")
            return redirect("customers:customer_list")
        current = conflict.current
        # A fresh form for the current state, keeping the note they typed.
        fresh = ChangeStatusForm(customer=current, initial={"note": form.cleaned_data["note"]})
        message = (
            f"Someone changed this customer while you were looking (status is now "
            f"{current.status_choice.label}). Your change was not saved; check and submit again."
        )
        context = _detail_context(request, current, fresh, status_conflict=message)
        return render(request, "customers/customer_detail.html", context, status=409)
    except StatusTransitionError as exc:
        form.add_error("to_status", str(exc))
        return render(
            request, "customers/customer_detail.html", _detail_context(request, customer, form), status=400
        )
    messages.success(request, f"Status changed to {customer.status_choice.label}.")
    return redirect(customer)


def _domains_url(customer) -> str:
    return f"{customer.get_absolute_url()}#domains"


def _shown(name: str) -> str:
    """A stored A-label as the success message shows it: `xn--r8jz45g.jp (例え.jp)`."""
    readable = unicode_domain(name)
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
            return redirect(_domains_url(customer))
    context = _detail_context(request, customer, domain_form=form)
    return render(request, "customers/customer_detail.html", context, status=400)


def customer_domain_remove(request, pk, domain_pk):
    """GET asks for confirmation; POST deletes the domain.

    Checks and follow-up tasks cascade with a domain, so a domain with any stored
    check or task (open or closed) is kept and the user is told why: the sweep
    history and what reps did about it matter more to operations than a tidy
    list. Only a domain nothing has recorded yet (a typo, a wrong paste) goes.
    Nothing is written to the status log (it records status changes only);
    the removal is logged and confirmed with a message.
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
        return redirect(_domains_url(customer))
    checks, tasks = domain_history(domain)
    context = {"customer": customer, "domain": domain, "checks": checks, "tasks": tasks}
    return render(request, "customers/domain_remove.html", context)


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
    if request.method != "POST":
        form = CustomerForm(instance=customer, can_reassign=can_reassign)
        return render(request, "customers/customer_form.html", {"customer": customer, "form": form})

    # The form validates against a copy, so `customer` keeps the values it was read with.
    form = CustomerForm(
        request.POST, instance=Customer.objects.get(pk=customer.pk), can_reassign=can_reassign
    )
    if form.is_valid():
        try:
            changed = customer.update(form.changes(), expected_version=form.cleaned_data["version"])
        except CustomerConflict as conflict:
            if conflict.current is None:
                messages.error(request, "This customer was deleted meanwhile.")
                return redirect("customers:customer_list")
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
            return render(request, "customers/customer_form.html", context, status=409)
        if changed:
            messages.success(request, "Customer saved.")
        else:
            messages.info(request, "Nothing changed.")
        return redirect(customer)
    return render(request, "customers/customer_form.html", {"customer": customer, "form": form}, status=400)


@ops_required
def import_page(request):
    report = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            report = import_customers(
                upload.read(), upload.name, by=request.user, dry_run=form.cleaned_data["dry_run"]
            )
            if report.applied:
                messages.success(request, report.summary())
    else:
        form = ImportForm()
    return render(request, "customers/import.html", {"form": form, "report": report, "columns": COLUMNS})


def export(request):
    """The visible customers, with the list's filters applied, as CSV or XLSX."""
    fmt = request.GET.get("format", "csv")
    if fmt not in exporter.CONTENT_TYPES:
        fmt = "csv"
    queryset = CustomerFilterSet(request.GET, queryset=customers_visible_to(request.user), request=request).qs
    response = HttpResponse(
        exporter.export_customers(queryset, fmt), content_type=exporter.CONTENT_TYPES[fmt]
    )
    filename = f"customers-{timezone.localdate().isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
