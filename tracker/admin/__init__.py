"""The Django admin: for superusers only, with every tracker model registered (one module per area)."""

from django.contrib import admin

from tracker.admin import campaigns, integrations, records, users  # noqa: F401  (register their models)


def _superusers_only(request) -> bool:
    # Ops staff work in the app itself; the admin bypasses our per-rep access rules.
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only
