"""Admin pages for campaigns (archived with their history, never deleted; every edit in the change
log), and the record of their changes."""

from auditlog.mixins import AuditlogHistoryAdminMixin
from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker.choices import CampaignChangeSource
from tracker.models import Campaign, CampaignChange
from tracker.models.campaign import legacy_definition_error
from tracker.probe import campaign as probe_campaign
from tracker.queries.legacy_change import LegacyChangeImpact, legacy_change_impact
from tracker.services.campaigns import campaign_save, impact_message


class CampaignAdminForm(forms.ModelForm):
    """Like the settings page: a legacy change that turns many legacy domains clean must be confirmed."""

    confirm_legacy_change = forms.BooleanField(
        label=_("Confirm the change"),
        required=False,
        help_text=_("Needed when the change would turn many legacy domains clean (see the warning)."),
    )

    class Meta:
        model = Campaign
        fields = (
            "slug",
            "name",
            "active",
            "legacy",
            "successor",
            "internal_announcement_date",
            "customer_announcement_date",
            "end_date",
            "cleanup_date",
        )

    impact = LegacyChangeImpact()

    def clean(self):
        cleaned = super().clean()
        data = {key: cleaned.get(key) for key in ("name", "legacy", "successor")}
        data["slug"] = cleaned.get("slug") or self.instance.slug
        for key in ("end_date", "cleanup_date"):
            data[key] = cleaned[key].isoformat() if cleaned.get(key) else None
        try:
            parsed = probe_campaign.Campaign.from_dict(data)
        except probe_campaign.CampaignError:
            return cleaned  # Campaign.clean() names the field
        if legacy_definition_error(parsed) is not None:
            return cleaned  # so does it for an empty legacy definition
        self.impact = legacy_change_impact(self.instance, parsed)
        if self.impact.needs_confirmation and not cleaned.get("confirm_legacy_change"):
            hint = _("If that is what you mean, tick “Confirm the change” and save again.")
            self.add_error("confirm_legacy_change", f"{impact_message(self.impact)} {hint}")
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """Edits are validated by Campaign.clean() through the probe engine's parser, and recorded."""

    form = CampaignAdminForm
    list_display = ("name", "slug", "active", "archived", "end_date", "cleanup_date")
    list_filter = ("active", "archived")
    search_fields = ("slug", "name")
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
            request, gettext("%(count)d campaign(s) archived.") % {"count": len(campaigns)}, messages.SUCCESS
        )

    fieldsets = (
        (None, {"fields": ("slug", "name", "active", "archived")}),
        (
            "Services (JSON, as in the campaign file)",
            {
                "fields": ("legacy", "successor", "confirm_legacy_change"),
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

    def save_model(self, request, obj, form, change):
        campaign_save(
            obj,
            source=CampaignChangeSource.ADMIN,
            by=request.user,
            impact=form.impact,
            confirmed=form.cleaned_data.get("confirm_legacy_change", False),
        )


@admin.register(CampaignChange)
class CampaignChangeAdmin(admin.ModelAdmin):
    """Read only: the record of who changed which service definition, and what it was predicted to do."""

    list_display = (
        "campaign",
        "changed_at",
        "changed_by",
        "source",
        "turning_clean",
        "legacy_domains",
        "confirmed",
    )
    list_filter = ("source", "confirmed", "campaign")
    date_hierarchy = "changed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
