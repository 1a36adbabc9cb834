"""Whether the services the app needs answer: what /readyz tells a load balancer."""

from __future__ import annotations

from celery import current_app
from django.db import connection

BROKER_TIMEOUT_S = 2.0


def database_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "not ready"
        return False


def broker_reachable(timeout: float = BROKER_TIMEOUT_S) -> bool:
    try:
        with current_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except Exception:  # kombu raises many kinds for an unreachable broker
        return False
