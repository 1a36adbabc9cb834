"""Who may open a page beyond being logged in (every page needs a login: LoginRequiredMiddleware)."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from customers.roles import is_ops


def ops_required(view):
    """Views for operations staff (and admins): 403 for everyone else."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_ops(request.user):
            raise PermissionDenied("This page is for operations staff.")
        return view(request, *args, **kwargs)

    return wrapper
