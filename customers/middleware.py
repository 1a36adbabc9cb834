"""Each signed-in person sees pages in their own language and time zone (their UserProfile).

The choice is kept in the session (copied at login and when the profile is saved),
so a page costs no extra query. A blank language leaves LocaleMiddleware's choice
(the browser's Accept-Language) in force.
"""

from __future__ import annotations

import zoneinfo

from django.utils import timezone, translation

from customers.models import UserProfile

SESSION_LANGUAGE = "profile_language"
SESSION_TIME_ZONE = "profile_time_zone"


def remember_preferences(session, profile: UserProfile) -> None:
    session[SESSION_LANGUAGE] = profile.language
    session[SESSION_TIME_ZONE] = profile.time_zone


def remember_on_login(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: the profile's choices go into the new session."""
    if request is not None and hasattr(request, "session"):
        remember_preferences(request.session, UserProfile.objects.for_user(user))


class UserPreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        session = request.session
        if SESSION_LANGUAGE not in session:  # a session from before profiles existed
            remember_preferences(session, UserProfile.objects.for_user(user))
        language = session.get(SESSION_LANGUAGE)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        zone = session.get(SESSION_TIME_ZONE)
        if zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass  # a zone removed from the system since it was chosen: the deployment's zone
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
