"""Admin pages for sweeps, check history, domain states, follow-up tasks and notices.

Sweeps and checks are records of what happened: read-only here (a sweep can be
resumed with an action); tasks, notice templates and notices are editable.
"""

from django.contrib import admin, messages

from tracker.models import (
    Activity,
    Check,
    CustomerNotice,
    DomainState,
    FollowUpTask,
    NoticeTemplate,
    SavedTaskView,
    Sweep,
    SweepChunk,
    TaskEvent,
)
from tracker.services.enqueue import BrokerUnavailable
from tracker.services.followups import followups_forget_rules
from tracker.services.sweeps import sweep_resume


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: viewable, never added, edited or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SweepChunkInline(admin.TabularInline):
    model = SweepChunk
    fields = ("index", "status", "attempts", "checked", "started_at", "finished_at", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Sweep)
class SweepAdmin(ReadOnlyAdmin):
    list_display = ("pk", "campaign", "kind", "status", "done", "total", "created_at", "finished_at", "alert")
    list_filter = ("status", "kind", "campaign")
    date_hierarchy = "created_at"
    inlines = [SweepChunkInline]
    actions = ["resume"]

    @admin.action(description="Resume: re-queue chunks that never finished")
    def resume(self, request, queryset):
        try:
            count = sum(sweep_resume(sweep) for sweep in queryset)
        except BrokerUnavailable as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{count} chunks queued again.", messages.SUCCESS)

    def has_change_permission(self, request, obj=None):
        return obj is None  # the list (and its action) yes, editing a record no


@admin.register(Check)
class CheckAdmin(ReadOnlyAdmin):
    list_display = ("domain", "campaign", "verdict", "first_seen_at", "last_seen_at", "times_seen")
    list_filter = ("verdict", "campaign")
    search_fields = ("domain__name",)
    list_select_related = ("domain", "campaign")
    raw_id_fields = ("domain", "sweep")


@admin.register(DomainState)
class DomainStateAdmin(ReadOnlyAdmin):
    list_display = (
        "domain",
        "campaign",
        "verdict",
        "breaks_on_legacy_removal",
        "on_successor",
        "consecutive_inconclusive",
        "last_checked_at",
    )
    list_filter = (
        "verdict",
        "breaks_on_legacy_removal",
        "has_legacy_mx",
        "has_legacy_spf_include",
        "campaign",
    )
    search_fields = ("domain__name",)
    list_select_related = ("domain", "campaign")


class TaskEventInline(admin.TabularInline):
    """A task's history, read-only: the steps people and checks took."""

    model = TaskEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "action", "by", "note")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "customer",
        "assignee",
        "kind",
        "status",
        "priority",
        "due_date",
        "reopened_count",
    )
    list_filter = ("status", "kind", "priority", "for_ops", "campaign")
    search_fields = ("domain__name", "customer__name", "customer__account_id")
    list_select_related = ("domain", "customer", "assignee")
    raw_id_fields = ("customer", "domain", "assignee", "closed_by", "created_by")
    inlines = [TaskEventInline]

    # Sweeps skip the rules for domains whose check changed nothing; an edit here is
    # something the rules did not do, so the next check of those domains runs them again.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _rules_forget([obj])

    # What a rep or a check did about a domain is history: tasks are closed, never deleted.
    def has_delete_permission(self, request, obj=None):
        return False


def _rules_forget(tasks) -> None:
    for campaign_id in {task.campaign_id for task in tasks}:
        followups_forget_rules(
            campaign_id, [task.domain_id for task in tasks if task.campaign_id == campaign_id]
        )


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("__str__", "customer", "by", "kind", "next_step_date")
    list_filter = ("kind",)
    search_fields = ("customer__name", "customer__account_id", "note")
    raw_id_fields = ("customer", "by", "next_step_task")


@admin.register(SavedTaskView)
class SavedTaskViewAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "query")
    raw_id_fields = ("user",)


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    list_display = ("campaign", "subject", "updated_at")


@admin.register(CustomerNotice)
class CustomerNoticeAdmin(admin.ModelAdmin):
    """A sent notice is what the customer received: read-only. Drafts may be edited (not deleted)."""

    list_display = ("subject", "customer", "campaign", "channel", "sent_at", "sent_by")
    list_filter = ("channel", "campaign")
    search_fields = ("customer__name", "customer__account_id", "subject")
    raw_id_fields = ("customer", "drafted_by", "sent_by")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.sent_at)

    def has_delete_permission(self, request, obj=None):
        return False
