"""Rep workspace pieces for the customer pages: the status changed in place (htmx).

The customer page includes `includes/customer_status_inline.html`; this view
answers its form with the same fragment, plus the new history row out of band
(into the page's `<tbody id="status-history">`).
"""

from django.shortcuts import render

from customers.access import get_customer_for_user
from customers.forms import ChangeStatusForm
from customers.models import Customer, CustomerConflict, StatusTransitionError


def customer_status_inline(request, pk):
    customer = get_customer_for_user(request.user, pk, Customer.objects.select_related("rep"))
    if request.method != "POST":
        return _fragment(request, customer, ChangeStatusForm(customer=customer))
    form = ChangeStatusForm(request.POST, customer=customer)
    if not form.is_valid():
        return _fragment(request, customer, form, status=400)
    try:
        change = customer.change_status(
            form.cleaned_data["to_status"],
            by=request.user,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        )
    except CustomerConflict as conflict:
        current = conflict.current or customer
        message = "Someone changed this customer meanwhile: check the status shown and try again."
        return _fragment(request, current, ChangeStatusForm(customer=current), status=409, error=message)
    except StatusTransitionError as exc:
        form.add_error("to_status", str(exc))
        return _fragment(request, customer, form, status=400)
    return _fragment(request, customer, ChangeStatusForm(customer=customer), change=change)


def _fragment(request, customer, form, status=200, error="", change=None):
    context = {"customer": customer, "status_form": form, "error": error, "change": change}
    return render(request, "includes/customer_status_inline.html", context, status=status)
