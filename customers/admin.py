"""Admin pages for customers (admins only, see tracker.admin). History is read-only.

A domain or customer with history (checks, tasks, status changes, notices) cannot be
deleted here; the change log of each customer and domain is on its "Change log" page.
"""

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin
from django.db import transaction
from django.db.models import F

from customers.models import Customer, Domain, StatusChange
from customers.services import domain_history
from customers.signals import rep_changed


class DomainInline(admin.TabularInline):
    # A ticked "Delete" on a domain with checks or tasks is refused by the admin itself,
    # naming them: those rows protect their domain (on_delete=PROTECT).
    model = Domain
    extra = 0


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "changed_by", "from_status", "to_status", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _customer_has_history(customer) -> bool:
    return (
        customer.status_changes.exists()
        or customer.tasks.exists()
        or customer.notices.exists()
        or Domain.objects.filter(customer=customer, checks__isnull=False).exists()
    )


@admin.register(Customer)
class CustomerAdmin(AuditlogHistoryAdminMixin, admin.ModelAdmin):
    list_display = ("name", "account_id", "rep", "status", "notice_sent_at", "updated_at")
    list_filter = ("status", "rep")
    search_fields = ("name", "account_id", "contact_name", "contact_email", "domains__name")
    list_select_related = ("rep",)
    # Status moves only through the workflow (Customer.change_status), never by hand.
    readonly_fields = ("status", "status_changed_at", "version", "created_at", "updated_at")
    inlines = [DomainInline, StatusChangeInline]

    show_auditlog_history_link = True

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and _customer_has_history(obj))

    def save_model(self, request, obj, form, change):
        previous_rep_id = form.initial.get("rep") if change else None
        with transaction.atomic():
            if change:
                # Pages opened before this admin edit must see a conflict, not overwrite it.
                obj.version = F("version") + 1
            super().save_model(request, obj, form, change)
            if change:
                obj.refresh_from_db(fields=["version"])
                if "rep" in form.changed_data:
                    rep_changed.send(Customer, customer=obj, previous_rep_id=previous_rep_id, by=request.user)


@admin.register(Domain)
class DomainAdmin(AuditlogHistoryAdminMixin, admin.ModelAdmin):
    list_display = ("name", "customer", "created_at")
    search_fields = ("name", "customer__name", "customer__account_id")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    show_auditlog_history_link = True

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and any(domain_history(obj)))


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    """The audit log: viewable, never edited or deleted."""

    list_display = ("changed_at", "customer", "from_status", "to_status", "changed_by")
    list_filter = ("to_status",)
    search_fields = ("customer__name", "customer__account_id", "note")
    list_select_related = ("customer", "changed_by")
    date_hierarchy = "changed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
