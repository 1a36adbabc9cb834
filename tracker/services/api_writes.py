"""The audit log of API writes: one row per successful write, naming the token's owner and the token."""

from __future__ import annotations

from tracker.models import ApiToken, ApiWrite


def api_write_record(
    user, token: ApiToken | None, method: str, path: str, status_code: int, summary: str = ""
):
    return ApiWrite.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        token=token,
        method=method,
        path=path[:500],
        status_code=status_code,
        summary=summary,
    )
