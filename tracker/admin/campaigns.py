"""Admin pages for campaigns: archived with their history, never deleted; every edit in the change log."""

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin, messages
from django.utils.translation import gettext as _

from tracker.models import Campaign


@admin.register(Campaign)
class CampaignAdmin(AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """Edits are validated by Campaign.clean() through the probe engine's parser."""

    list_display = ("name", "slug", "active", "archived", "end_date", "cleanup_date")
    list_filter = ("active", "archived")
    show_auditlog_history_link = True
    actions = ["archive"]

    # Deleting a campaign would take its checks, tasks and notices with it.
    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Archive: stop sweeping, keep every check, task and notice"))
    def archive(self, request, queryset):
        campaigns = list(queryset.filter(archived=False))
        for campaign in campaigns:
            campaign.archive()
        self.message_user(
            request, _("%(count)d campaign(s) archived.") % {"count": len(campaigns)}, messages.SUCCESS
        )

    search_fields = ("slug", "name")
    fieldsets = (
        (None, {"fields": ("slug", "name", "active", "archived")}),
        ("Services (JSON, as in the campaign file)", {"fields": ("legacy", "successor")}),
        (
            "Milestones",
            {
                "fields": (
                    "internal_announcement_date",
                    "customer_announcement_date",
                    "end_date",
                    "cleanup_date",
                )
            },
        ),
    )
