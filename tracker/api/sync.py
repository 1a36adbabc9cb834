"""CRM sync: an all-or-nothing upsert of customers and domains, and the "changed since" feed."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.importer import COLUMNS, import_records
from customers.invitations import invite_rep
from tracker.api.base import ApiViewMixin
from tracker.api.permissions import OpsOnly, TokenMayWrite
from tracker.api.views import CAMPAIGN_PARAMETER, campaign_from
from tracker.queries.campaigns import active_campaign
from tracker.queries.changes import changes_since


class UpsertRequestSerializer(serializers.Serializer):
    rows = serializers.ListField(
        child=serializers.DictField(),
        allow_empty=False,
        help_text=f"One object per customer, keyed by account_id; fields: {', '.join(COLUMNS)}.",
    )
    dry_run = serializers.BooleanField(default=False)
    create_reps = serializers.BooleanField(
        default=False,
        help_text="Create a rep for an unknown rep_username (and mail them a set-password link); "
        "otherwise an unknown rep is an error of its row.",
    )


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Position in `rows`, from 1.")
    field = serializers.CharField()
    problem = serializers.CharField()


class UpsertReportSerializer(serializers.Serializer):
    applied = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField()
    customers_created = serializers.IntegerField()
    customers_updated = serializers.IntegerField()
    customers_unchanged = serializers.IntegerField()
    reps_created = serializers.IntegerField()
    domains_added = serializers.IntegerField()
    status_changes = serializers.IntegerField()
    errors = RowErrorSerializer(many=True)


class CustomerUpsertView(ApiViewMixin, APIView):
    """Create or update customers (by account_id) and add their domains (by name), for operations.

    The import's rules: every row valid or nothing changes (422 with every bad row
    named); the same payload posted twice changes nothing the second time.
    """

    permission_classes = [TokenMayWrite, OpsOnly]

    @extend_schema(
        request=UpsertRequestSerializer, responses={200: UpsertReportSerializer, 422: UpsertReportSerializer}
    )
    def post(self, request):
        form = UpsertRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        report = import_records(
            form.validated_data["rows"],
            by=request.user,
            source=_("the CRM sync API"),
            dry_run=form.validated_data["dry_run"],
            create_reps=form.validated_data["create_reps"],
            invite=invite_rep,
        )
        body = {
            "applied": report.applied,
            "dry_run": report.dry_run,
            "rows": report.rows,
            "customers_created": report.customers_created,
            "customers_updated": report.customers_updated,
            "customers_unchanged": report.customers_unchanged,
            "reps_created": report.reps_created,
            "domains_added": report.domains_added,
            "status_changes": report.status_changes,
            "errors": [{"row": e.row, "field": e.column, "problem": e.problem} for e in report.errors],
        }
        self.audit_summary = report.summary()
        return Response(
            body, status=status.HTTP_200_OK if report.ok else status.HTTP_422_UNPROCESSABLE_ENTITY
        )


class VerdictChangeSerializer(serializers.Serializer):
    domain = serializers.IntegerField()
    name = serializers.CharField()
    account_id = serializers.CharField()
    verdict = serializers.CharField()
    last_conclusive_verdict = serializers.CharField()
    changed_at = serializers.DateTimeField()


class StatusChangeSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    account_id = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    changed_at = serializers.DateTimeField()


class ChangesSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    next_since = serializers.DateTimeField()
    complete = serializers.BooleanField(help_text="False when a list was cut: poll again from next_since.")
    verdicts = VerdictChangeSerializer(many=True)
    statuses = StatusChangeSerializer(many=True)


class ChangesQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField()


class ChangesView(ApiViewMixin, APIView):
    """Verdicts and statuses that changed after `since` (ISO 8601), oldest first; poll again from `next_since`."""

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, required=True, description="ISO 8601 moment"),
            CAMPAIGN_PARAMETER,
        ],
        responses={200: ChangesSerializer},
    )
    def get(self, request):
        query = ChangesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        campaign = campaign_from(request) if request.query_params.get("campaign") else active_campaign()
        feed = changes_since(request.user, campaign, query.validated_data["since"])
        return Response(ChangesSerializer(feed).data)
