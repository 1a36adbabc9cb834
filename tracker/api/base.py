"""What every API view shares: no login redirect, ETags for polling, and the audit log of writes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.middleware.http import ConditionalGetMiddleware
from django.utils.decorators import decorator_from_middleware
from rest_framework import permissions

from tracker.services.api_writes import api_write_record

# ETag from the response body, 304 Not Modified on a matching If-None-Match: a poller pays no body.
conditional_get = decorator_from_middleware(ConditionalGetMiddleware)


class ApiViewMixin:
    """Mixed into every API view and viewset."""

    # What a write did, in a line, for the audit log (set by the handler; a default otherwise).
    audit_summary: str = ""

    @classmethod
    def as_view(cls, *args, **kwargs):
        # The pages' LoginRequiredMiddleware would redirect a program to the login form: DRF answers 401/403.
        return login_not_required(conditional_get(super().as_view(*args, **kwargs)))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in permissions.SAFE_METHODS and 200 <= response.status_code < 300:
            api_write_record(
                request.user,
                request.auth if hasattr(request.auth, "can_write") else None,
                request.method,
                request.get_full_path(),
                response.status_code,
                self.audit_summary
                or f"{type(self).__name__}.{getattr(self, 'action', '') or request.method}",
            )
        # Answers depend on who asks: no shared cache may keep one for another.
        response.setdefault("Cache-Control", "private, no-cache")
        response.setdefault("Vary", "Authorization, Cookie")
        return response
