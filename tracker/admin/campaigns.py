"""Admin pages for campaigns."""

from django.contrib import admin

from tracker.models import Campaign


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Edits are validated by Campaign.clean() through the probe engine's parser."""

    list_display = ("name", "slug", "active", "end_date", "cleanup_date")
    list_filter = ("active",)
    search_fields = ("slug", "name")
    fieldsets = (
        (None, {"fields": ("slug", "name", "active")}),
        (
            "Services (JSON, as in the campaign file)",
            {
                "fields": ("legacy", "successor"),
                "description": "The fields of docs/campaign-file.md; the optional ones (hosts, "
                "mail_domains, dkim_selectors, tlsa, and for the successor client_hosts, dmarc_rua, "
                "tlsrpt_rua) turn on the checks for the other DNS references. Unknown fields are refused.",
            },
        ),
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
