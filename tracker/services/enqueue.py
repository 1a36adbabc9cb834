"""Work for the Celery workers, queued by task name once the transaction commits.

Services never import `tracker.tasks` (which imports them): they name the task.
After commit, because a worker must find the rows the task's ids point at.
A broker that cannot be reached is a clear error (`BrokerUnavailable`), asked
before anything is saved (`broker_check`) and again when sending: the caller
says what to undo (`on_failure`), so nothing half-made stays behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

BROKER_ERRORS = (KombuOperationalError, ConnectionError, OSError, TimeoutError)


class BrokerUnavailable(Exception):
    """The broker (Redis) could not be reached: nothing was queued."""


def _unreachable(exc: BaseException) -> BrokerUnavailable:
    return BrokerUnavailable(
        _(
            "The task queue (Celery broker at %(url)s) is unreachable: nothing was queued. "
            "Check that Redis is running and CELERY_BROKER_URL points at it, then try again. (%(error)s)"
        )
        % {"url": _safe_url(settings.CELERY_BROKER_URL), "error": f"{type(exc).__name__}: {exc}"[:200]}
    )


def _safe_url(url: str) -> str:
    """The broker URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"


def broker_check() -> None:
    """Raise BrokerUnavailable unless the broker answers within CELERY_BROKER_CONNECTION_TIMEOUT."""
    if current_app.conf.task_always_eager:
        return
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT)
    except BROKER_ERRORS as exc:
        raise _unreachable(exc) from exc


def enqueue_after_commit(
    task_name: str,
    argument_lists: Sequence[Sequence],
    *,
    on_failure: Callable[[BrokerUnavailable], None] | None = None,
) -> None:
    """Send `task_name` once per argument list when the current transaction commits.

    If the broker refuses, `on_failure(error)` runs (to mark what was planned as not
    queued) and BrokerUnavailable is raised to the caller of the commit.
    """
    calls = [list(arguments) for arguments in argument_lists]
    if not calls:
        return

    def send() -> None:
        try:
            with current_app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT)
                for args in calls:
                    current_app.send_task(task_name, args=args, connection=connection, retry=False)
        except BROKER_ERRORS as exc:
            error = _unreachable(exc)
            if on_failure is not None:
                on_failure(error)
            raise error from exc

    transaction.on_commit(send)
