"""The API's resources: the same rows, rules and services as the pages (tracker.queries.access, tracker.filters)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from customers.access import customers_visible_to
from customers.models import CustomerConflict, StatusTransitionError
from tracker.api import serializers as s
from tracker.api.base import ApiViewMixin
from tracker.api.permissions import OpsOnly, OpsWrite, TokenMayWrite
from tracker.choices import TaskStatus
from tracker.filters import CustomerFilterSet, DomainStateFilterSet, SweepFilterSet, TaskFilterSet
from tracker.models import AlertChannel, AlertDelivery, Campaign, Check, DomainState, Sweep, TaskStateError
from tracker.queries.access import domains_visible_to, get_task_for_user, tasks_visible_to
from tracker.queries.campaigns import active_campaign
from tracker.services.sweeps import sweep_recheck, sweep_resume, sweep_start
from tracker.services.tasks import task_done, task_reopen

CAMPAIGN_PARAMETER = OpenApiParameter(
    "campaign", str, description="Campaign slug; the active campaign when left out."
)


def campaign_from(request) -> Campaign:
    slug = request.query_params.get("campaign")
    if slug:
        return get_object_or_404(Campaign, slug=slug)
    campaign = active_campaign()
    if campaign is None:
        raise Http404(_("No campaign yet."))
    return campaign


class CustomerViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Customers with their rep, status and domains: a rep's own, everyone's for ops."""

    serializer_class = s.CustomerSerializer
    filterset_class = CustomerFilterSet

    def get_queryset(self):
        return customers_visible_to(self.request.user).select_related("rep").prefetch_related("domains")

    @extend_schema(request=s.StatusChangeRequestSerializer, responses=s.CustomerSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Move the customer along the workflow (recorded in its status history as the token's owner)."""
        customer = self.get_object()
        form = s.StatusChangeRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            customer.change_status(
                form.validated_data["status"],
                by=request.user,
                note=form.validated_data["note"] or _("Changed through the API"),
                expected_version=form.validated_data.get("version"),
            )
        except StatusTransitionError as exc:
            return Response({"status": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        except CustomerConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        self.audit_summary = f"customer {customer.account_id}: status {customer.status}"
        return Response(self.get_serializer(self.get_queryset().get(pk=customer.pk)).data)


@extend_schema(parameters=[CAMPAIGN_PARAMETER])
class DomainViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Checked domains with their latest verdict in a campaign, references and verified advice. `id` is the domain's."""

    serializer_class = s.DomainStateSerializer
    filterset_class = DomainStateFilterSet
    lookup_field = "domain_id"
    lookup_url_kwarg = "pk"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no campaign to look up
            return DomainState.objects.none()
        return DomainState.objects.filter(
            campaign=campaign_from(self.request), domain__in=domains_visible_to(self.request.user)
        ).select_related("domain__customer", "campaign", "latest_check")

    @extend_schema(responses=s.CheckSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def checks(self, request, pk=None):
        """The domain's check history in the campaign: spans of identical results, oldest first."""
        state = self.get_object()
        checks = Check.objects.filter(domain_id=state.domain_id, campaign=state.campaign).select_related(
            "campaign"
        )
        page = self.paginate_queryset(checks)
        return self.get_paginated_response(s.CheckSerializer(page, many=True).data)


class TaskViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Follow-up tasks (open and snoozed unless `status` says otherwise), with close, snooze and reopen."""

    serializer_class = s.TaskSerializer
    filterset_class = TaskFilterSet

    def get_queryset(self):
        return tasks_visible_to(self.request.user).select_related("campaign", "domain", "assignee")

    def _answer(self, task, summary: str):
        self.audit_summary = f"task {task.pk}: {summary}"
        return Response(self.get_serializer(self.get_queryset().get(pk=task.pk)).data)

    @extend_schema(request=s.TaskCloseSerializer, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def close(self, request, pk=None):
        task = get_task_for_user(request.user, pk)
        form = s.TaskCloseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        task = task_done(task, request.user, form.validated_data["note"])
        return self._answer(task, "waiting for DNS" if task.status == TaskStatus.WAITING_FOR_DNS else "closed")

    @extend_schema(request=s.TaskSnoozeSerializer, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def snooze(self, request, pk=None):
        task = get_task_for_user(request.user, pk)
        form = s.TaskSnoozeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            task = task.snooze(form.validated_data["until"], by=request.user)
        except TaskStateError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return self._answer(task, f"snoozed until {task.snoozed_until}")

    @extend_schema(request=s.TaskCloseSerializer, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def reopen(self, request, pk=None):
        task = get_task_for_user(request.user, pk)
        form = s.TaskCloseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            task = task_reopen(task, by=request.user, note=form.validated_data["note"])
        except TaskStateError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return self._answer(task, "reopened")


class CampaignViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Campaigns: everyone reads, operations create and edit (validated as `manage.py campaign load` does)."""

    serializer_class = s.CampaignSerializer
    permission_classes = [TokenMayWrite, OpsWrite]
    lookup_field = "slug"
    queryset = Campaign.objects.all()

    def perform_create(self, serializer):
        campaign = serializer.save()
        self.audit_summary = f"campaign {campaign.slug} created"

    def perform_update(self, serializer):
        campaign = serializer.save()
        self.audit_summary = f"campaign {campaign.slug}: {', '.join(sorted(serializer.validated_data))}"


class SweepViewSet(ApiViewMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Sweeps for operations: start one, follow its progress, resume one that lost its workers."""

    serializer_class = s.SweepSerializer
    filterset_class = SweepFilterSet
    permission_classes = [TokenMayWrite, OpsOnly]

    def get_queryset(self):
        sweeps = Sweep.objects.select_related("campaign", "requested_by")
        slug = self.request.query_params.get("campaign")
        return sweeps.filter(campaign__slug=slug) if slug else sweeps

    @extend_schema(request=s.SweepStartSerializer, responses={201: s.SweepSerializer})
    def create(self, request, *args, **kwargs):
        form = s.SweepStartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        campaign = form.validated_data["campaign"]
        if form.validated_data["kind"] == "recheck":
            sweep = sweep_recheck(campaign, requested_by=request.user)
        else:
            sweep = sweep_start(campaign, requested_by=request.user, label="started through the API")
        self.audit_summary = (
            f"sweep {sweep.pk} of {campaign.slug} started ({sweep.kind}, {sweep.total} domains)"
        )
        return Response(self.get_serializer(sweep).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.SweepSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def resume(self, request, pk=None):
        """Re-queue the chunks that never finished."""
        sweep = self.get_object()
        count = sweep_resume(sweep)
        self.audit_summary = f"sweep {sweep.pk} resumed ({count} chunks)"
        return Response(self.get_serializer(sweep).data)


class AlertChannelViewSet(ApiViewMixin, viewsets.ModelViewSet):
    """Where operations get alerts (Slack, Teams, LINE, a signed webhook, e-mail) and which events."""

    serializer_class = s.AlertChannelSerializer
    permission_classes = [TokenMayWrite, OpsOnly]
    queryset = AlertChannel.objects.all()

    def perform_create(self, serializer):
        channel = serializer.save()
        self.audit_summary = f"alert channel {channel.pk} ({channel.kind}) created"

    def perform_update(self, serializer):
        channel = serializer.save()
        self.audit_summary = f"alert channel {channel.pk}: {', '.join(sorted(serializer.validated_data))}"

    def perform_destroy(self, instance):
        self.audit_summary = f"alert channel {instance.pk} ({instance.kind}) deleted"
        instance.delete()


class AlertDeliveryViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """The delivery log: every alert to every channel, with attempts and the last error."""

    serializer_class = s.AlertDeliverySerializer
    permission_classes = [TokenMayWrite, OpsOnly]
    queryset = AlertDelivery.objects.all()
