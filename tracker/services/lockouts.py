"""Ending a login lockout early: ops vouch for the person (django-axes keeps the counts)."""

from axes.models import AccessAttempt
from axes.utils import reset


def lockout_release(attempt_pk: int) -> str | None:
    """Clears the failures of one user name/address pair; the user name, or None if nothing was locked."""
    attempt = AccessAttempt.objects.filter(pk=attempt_pk).first()
    if attempt is None:
        return None
    reset(ip=attempt.ip_address, username=attempt.username)
    return attempt.username
