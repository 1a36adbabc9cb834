"""Admin pages for campaigns, and the rule that the Django admin is for superusers only."""

from django.contrib import admin

from tracker.models import Campaign


def _superusers_only(request) -> bool:
    # Ops staff work in the app itself; the admin bypasses our per-rep access rules.
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Edits are validated by Campaign.clean() through the probe engine's parser."""

    list_display = ("name", "slug", "active", "end_date", "cleanup_date")
    list_filter = ("active",)
    search_fields = ("slug", "name")
    fieldsets = (
        (None, {"fields": ("slug", "name", "active")}),
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

from tracker import admin_sweeps  # noqa: E402,F401  (registers the sweep, check and task admins)
