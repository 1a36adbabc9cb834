"""A rep created by an import is invited by mail to set a password (Django's reset-token link)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _


def set_password_url(user) -> str:
    """An absolute, single-use link to choose a password (valid PASSWORD_RESET_TIMEOUT, 3 days by default)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL + path


def invite_rep(user) -> bool:
    """Mail the new rep their set-password link, in the deployment's language; False without an address."""
    if not user.email:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            "registration/invitation_email.txt",
            {"user": user, "url": set_password_url(user), "login_url": settings.SITE_URL + reverse("login")},
        )
        subject = _("Your account for the retirement tracker")
    EmailMessage(subject, body, to=[user.email]).send()
    return True
