"""Session and caching rules for every signed-in response (settings.MIDDLEWARE).

The idle timeout is Django's own (SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST);
what it lacks is a cap on a session kept alive by a page that polls, and a rule
that pages with customer data never land in a browser's or a proxy's cache.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.utils.cache import add_never_cache_headers

SESSION_STARTED_KEY = "tracker_session_started"


class SessionAgeLimitMiddleware:
    """Ends a signed-in session SESSION_MAX_AGE seconds after it began, however busy it was."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            now = int(time.time())
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - started > settings.SESSION_MAX_AGE:
                logout(request)  # the view then sees an anonymous user: the login page
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in user: pages and exports carry customer data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response
