"""Health for load balancers and monitoring: /healthz (the process answers), /readyz (its services do), /metrics."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from customers.roles import is_ops
from tracker.queries.metrics import migration_samples
from tracker.queries.readiness import broker_reachable, database_reachable
from tracker.services.tokens import token_authenticate


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """The process is up (no database or broker touched: a slow database must not get it restarted)."""
    return HttpResponse("ok\n", content_type="text/plain")


@login_not_required
@never_cache
@require_GET
def readyz(request):
    """Database and broker reachable: 200, else 503 and which one failed."""
    checks = {"database": database_reachable(), "broker": broker_reachable()}
    return JsonResponse(
        {
            "ready": all(checks.values()),
            **{name: "ok" if ok else "unreachable" for name, ok in checks.items()},
        },
        status=200 if all(checks.values()) else 503,
    )


def _address_allowed(address: str) -> bool:
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_IPS:
        try:
            if client in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


def _token_allowed(request) -> bool:
    """An operations user's token: the figures name every rep, so a rep's token does not do."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return False
    token = token_authenticate(header[len("Bearer ") :].strip())
    return token is not None and is_ops(token.user)


class _MigrationCollector:
    """The migration figures as Prometheus gauges, one family per name."""

    def collect(self):
        families: dict[str, GaugeMetricFamily] = {}
        for sample in migration_samples():
            family = families.get(sample.name)
            if family is None:
                family = families[sample.name] = GaugeMetricFamily(
                    sample.name, sample.help, labels=list(sample.labels)
                )
            family.add_metric(list(sample.labels.values()), sample.value)
        yield from families.values()


@login_not_required
@never_cache
@require_GET
def metrics(request):
    """Prometheus text: requests and queries (django-prometheus, this process) and the migration figures.

    For an operations user's API token (any access) or a client address in METRICS_ALLOWED_IPS; 403 for anyone else.
    """
    if not (_address_allowed(request.META.get("REMOTE_ADDR", "")) or _token_allowed(request)):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    figures = CollectorRegistry(auto_describe=False)
    figures.register(_MigrationCollector())
    return HttpResponse(
        generate_latest(REGISTRY) + generate_latest(figures), content_type=CONTENT_TYPE_LATEST
    )
