"""When a user last looked at their home page: what "changed since I last looked" is measured from."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class HomeVisit(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="home_visit")
    # The visit before the current one: the page shows what changed after it.
    previous_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id} last seen {self.last_seen_at}"
