"""Error pages in the site's layout, with navigation and the reason the server knows.

A 404 for a customer, domain or task a rep may not see says so without telling
which (another rep's and a missing one look the same: ids leak nothing).
"""

from __future__ import annotations

import re

from django.shortcuts import render
from django.utils.translation import gettext as _

# The first path segment: what a 404 under it was about.
_NOT_FOUND_REASONS = {
    "customers": lambda: _("This customer belongs to another rep or does not exist."),
    "domains": lambda: _("This domain belongs to another rep's customer or does not exist."),
    "tasks": lambda: _("This task belongs to another rep or does not exist."),
    "campaigns": lambda: _("There is no campaign at this address."),
}


def _not_found_reason(path: str) -> str:
    match = re.match(r"^/([a-z-]+)/\d+", path) or re.match(r"^/(campaigns)/", path)
    reason = _NOT_FOUND_REASONS.get(match.group(1)) if match else None
    return reason() if reason else _("There is no page at this address.")


def page_not_found(request, exception=None):
    return render(
        request, "404.html", {"reason": _not_found_reason(request.path), "path": request.path}, status=404
    )


def permission_denied(request, exception=None):
    reason = str(exception) if exception and str(exception) else _("You may not open this page.")
    return render(request, "403.html", {"reason": reason}, status=403)


def server_error(request):
    """No database or session is trusted here: the template needs no context processor."""
    return render(request, "500.html", status=500)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent without a valid token, most often an old tab or an ended session."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
