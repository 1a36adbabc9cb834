"""What the API shows of each row: plain JSON, DNS text as data (clients escape it, as our templates do)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.choices import MigrationStatus
from customers.models import Customer
from tracker.choices import AlertChannelKind, AlertEvent
from tracker.models import AlertChannel, AlertDelivery, Campaign, Check, DomainState, FollowUpTask, Sweep
from tracker.probe.stored import StoredReport
from tracker.services.alerts import channel_target_problem


class CustomerSerializer(serializers.ModelSerializer):
    rep = serializers.SlugRelatedField(slug_field="username", read_only=True)
    domains = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "account_id",
            "name",
            "rep",
            "status",
            "status_changed_at",
            "contact_name",
            "contact_email",
            "notice_sent_at",
            "domains",
            "version",
            "updated_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_domains(self, customer) -> list[str]:
        return [domain.name for domain in customer.domains.all()]


class StatusChangeRequestSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=MigrationStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    version = serializers.IntegerField(
        required=False, help_text=_("The version you read; a newer one on the server is a 409 conflict.")
    )


def _references(report: StoredReport) -> list[dict]:
    return [{"kind": ref.kind, "value": ref.value, "path": list(ref.path)} for ref in report.references]


def _advice(report: StoredReport) -> dict:
    """The SPF advice, with records only when verified: an unverified rewrite is never handed out."""
    advice = report.spf.advice
    shown = {"status": advice.status, "reasons": list(advice.reasons), "verified": advice.verified}
    if advice.verified:
        shown |= {"records": list(advice.records), "message": advice.message, "lookups": advice.lookups}
    return shown


class DomainStateSerializer(serializers.ModelSerializer):
    """A domain with its latest verdict in the campaign, its legacy references and the verified advice."""

    id = serializers.IntegerField(source="domain_id")
    name = serializers.CharField(source="domain.name")
    customer = serializers.IntegerField(source="domain.customer_id")
    account_id = serializers.CharField(source="domain.customer.account_id")
    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    references = serializers.SerializerMethodField()
    advice = serializers.SerializerMethodField()

    class Meta:
        model = DomainState
        fields = [
            "id",
            "name",
            "customer",
            "account_id",
            "campaign",
            "verdict",
            "last_conclusive_verdict",
            "verdict_changed_at",
            "last_checked_at",
            "on_successor",
            "breaks_on_legacy_removal",
            "reference_kinds",
            "references",
            "advice",
        ]

    def _report(self, state) -> StoredReport | None:
        check = state.latest_check
        return StoredReport(check.report) if check is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_references(self, state) -> list[dict]:
        report = self._report(state)
        return _references(report) if report else []

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_advice(self, state) -> dict | None:
        report = self._report(state)
        return _advice(report) if report else None


class CheckSerializer(serializers.ModelSerializer):
    """One span of identical results (first seen, last seen, times seen) with its references."""

    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    references = serializers.SerializerMethodField()

    class Meta:
        model = Check
        fields = [
            "id",
            "campaign",
            "sweep",
            "verdict",
            "first_seen_at",
            "last_seen_at",
            "times_seen",
            "references",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_references(self, check) -> list[dict]:
        return _references(StoredReport(check.report))


class TaskSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    domain_name = serializers.CharField(source="domain.name", default=None, read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = FollowUpTask
        fields = [
            "id",
            "campaign",
            "customer",
            "domain",
            "domain_name",
            "kind",
            "status",
            "priority",
            "due_date",
            "assignee",
            "for_ops",
            "evidence",
            "opened_at",
            "closed_at",
            "close_note",
            "snoozed_until",
            "reopened_count",
            "updated_at",
        ]


class TaskCloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TaskSnoozeSerializer(serializers.Serializer):
    until = serializers.DateField()


class CampaignSerializer(serializers.ModelSerializer):
    """The campaign contract (docs/campaign-file.md) plus our milestones; writes validate through the engine."""

    class Meta:
        model = Campaign
        fields = [
            "slug",
            "name",
            "legacy",
            "successor",
            "end_date",
            "cleanup_date",
            "active",
            "internal_announcement_date",
            "customer_announcement_date",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def validate(self, attrs):
        instance = self.instance or Campaign()
        for name, value in attrs.items():
            setattr(instance, name, value)
        try:
            instance.full_clean(validate_unique=False)
        except Exception as exc:  # django ValidationError: its dict becomes DRF's
            raise serializers.ValidationError(getattr(exc, "message_dict", {"detail": str(exc)})) from None
        # full_clean stored the canonical form (lower-case hosts, normalised CIDRs).
        return attrs | {"legacy": instance.legacy, "successor": instance.successor}


class SweepSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Sweep
        fields = [
            "id",
            "campaign",
            "kind",
            "status",
            "label",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "total",
            "done",
            "legacy_count",
            "clean_count",
            "inconclusive_count",
            "unregistered_count",
            "timeout_count",
            "chunk_count",
            "chunks_done",
            "chunks_failed",
            "alert",
            "error",
        ]


class SweepStartSerializer(serializers.Serializer):
    campaign = serializers.SlugRelatedField(slug_field="slug", queryset=Campaign.objects.all())
    kind = serializers.ChoiceField(
        choices=[("full", _("Full sweep")), ("recheck", _("Legacy and inconclusive domains only"))],
        default="full",
    )


class AlertChannelSerializer(serializers.ModelSerializer):
    """A channel; the webhook's signing secret is written, never read back."""

    events = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertEvent.choices),
        required=False,
        help_text=_("Events to send; empty for all."),
    )
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = AlertChannel
        fields = ["id", "name", "kind", "target", "secret", "has_secret", "events", "active", "created_at"]
        read_only_fields = ["created_at"]

    def get_has_secret(self, channel) -> bool:
        return bool(channel.secret)

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        secret = attrs.get("secret", getattr(self.instance, "secret", ""))
        if kind == AlertChannelKind.WEBHOOK and not secret:
            raise serializers.ValidationError({"secret": _("A webhook needs a signing secret.")})
        problem = channel_target_problem(kind, attrs.get("target", getattr(self.instance, "target", "")))
        if problem:
            raise serializers.ValidationError({"target": problem})
        return attrs


class AlertDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertDelivery
        fields = [
            "id",
            "channel",
            "event",
            "title",
            "body",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
        ]
