"""API tokens: made, revoked and checked here (tracker.models.api says how they are stored).

A token reads `rt_<prefix>_<secret>`: the prefix finds the row, the SHA-256 of the
whole token must match the stored hash (compared in constant time). The token is
returned once by `token_create` and never again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.utils import timezone

from tracker.choices import TokenAccess
from tracker.models import ApiToken

TOKEN_START = "rt_"
# last_used_at is written at most this often per token: polling clients cost no write per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(user, name: str, access: str = TokenAccess.READ, expires_at=None) -> tuple[ApiToken, str]:
    """A new token for `user`: (the row, the token text to show once)."""
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=prefix,
        secret_hash=token_hash(token),
        access=TokenAccess(access),
        expires_at=expires_at,
    )
    return row, token


def token_revoke(token: ApiToken) -> None:
    """Stops working at once; the row stays, for the audit log that names it."""
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())


def token_authenticate(text: str, now=None) -> ApiToken | None:
    """The live token `text` is, with its owner loaded; None for anything else."""
    if not text.startswith(TOKEN_START) or text.count("_") < 2:
        return None
    prefix = text[len(TOKEN_START) :].split("_", 1)[0]
    row = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    now = now or timezone.now()
    if row is None or not hmac.compare_digest(row.secret_hash, token_hash(text)):
        return None
    if not row.is_usable(now) or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row
