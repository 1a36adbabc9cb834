"""Who may do what through the API, beyond the rows `tracker.queries.access` lets them see."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from customers.roles import is_ops
from tracker.models import ApiToken


class TokenMayWrite(permissions.BasePermission):
    """Logged in (token or session); writes need a read-write token (or a session, which has CSRF)."""

    message = _("This token is read-only.")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        token = request.auth
        return not isinstance(token, ApiToken) or token.can_write


class OpsOnly(permissions.BasePermission):
    """Operations staff (and admins), as the ops pages."""

    message = _("This is for operations staff.")

    def has_permission(self, request, view):
        return is_ops(request.user)


class OpsWrite(permissions.BasePermission):
    """Everyone reads; only operations staff write (campaigns)."""

    message = _("Only operations staff may change this.")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or is_ops(request.user)
