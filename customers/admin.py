"""Admin pages for customers (admins only, see tracker.admin). History is read-only."""

from django.contrib import admin
from django.db.models import F

from customers.models import Customer, Domain, StatusChange


class DomainInline(admin.TabularInline):
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


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "account_id", "rep", "status", "notice_sent_at", "updated_at")
    list_filter = ("status", "rep")
    search_fields = ("name", "account_id", "contact_name", "contact_email", "domains__name")
    list_select_related = ("rep",)
    # Status moves only through the workflow (Customer.change_status), never by hand.
    readonly_fields = ("status", "status_changed_at", "version", "created_at", "updated_at")
    inlines = [DomainInline, StatusChangeInline]

    def save_model(self, request, obj, form, change):
        if change:
            # Pages opened before this admin edit must see a conflict, not overwrite it.
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        if change:
            obj.refresh_from_db(fields=["version"])


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "created_at")
    search_fields = ("name", "customer__name", "customer__account_id")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)


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
