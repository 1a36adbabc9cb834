"""Admin pages for API tokens, the API write log, alert channels and their delivery log.

Tokens and logs are records (read-only; a token is revoked by its owner or here by
deleting it); channels are edited by operations in the app (/alerts/) or here.
"""

from django.contrib import admin

from tracker.admin.records import ReadOnlyAdmin
from tracker.models import AlertChannel, AlertDelivery, ApiToken, ApiWrite


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "prefix",
        "user",
        "access",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("access",)
    search_fields = ("name", "prefix", "user__username")
    exclude = ("secret_hash",)


@admin.register(ApiWrite)
class ApiWriteAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "token", "method", "path", "status_code", "summary")
    list_filter = ("method",)
    search_fields = ("path", "summary", "user__username")


@admin.register(AlertChannel)
class AlertChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "active", "events")
    list_filter = ("kind", "active")


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "event", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "event")
