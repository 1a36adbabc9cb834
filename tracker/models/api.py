"""API tokens and the audit log of API writes.

A token is shown once, when it is made: only the SHA-256 of the whole token is
stored, with a short public `prefix` to find the row without comparing every
hash. The owner is who the token acts as: it sees exactly what they see on the
pages. Every write through the API leaves an `ApiWrite` row naming the owner and
the token, whether or not the change also has its own history (status changes do).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.choices import TokenAccess


class ApiToken(models.Model):
    """A secret that lets a program act as its owner through /api/ (and read /metrics)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. 'CRM sync'."))
    prefix = models.CharField(max_length=16, unique=True, help_text="The token's public id (its first part).")
    secret_hash = models.CharField(max_length=64, help_text="SHA-256 of the whole token, hex.")
    access = models.CharField(
        _("access"), max_length=12, choices=TokenAccess.choices, default=TokenAccess.READ
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def can_write(self) -> bool:
        return self.access == TokenAccess.READ_WRITE

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class ApiWrite(models.Model):
    """One successful write through the API: who (the token's owner), with which token, what."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token = models.ForeignKey(
        ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="writes"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    summary = models.TextField(blank=True, help_text="What changed, in a line.")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.method} {self.path} by {self.user_id}"
