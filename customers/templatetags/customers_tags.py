"""Template helpers: role checks and the status badge, so every page shows them the same way."""

import idna
from django import template
from django.utils.html import format_html

from customers import roles
from customers.choices import MigrationStatus

register = template.Library()


@register.filter
def is_ops(user) -> bool:
    return roles.is_ops(user)


@register.filter
def is_rep(user) -> bool:
    return roles.is_rep(user)


@register.simple_tag
def status_badge(status) -> str:
    """A coloured badge for a MigrationStatus value (escaped)."""
    if not status:
        return "-"
    choice = MigrationStatus(status)
    return format_html(
        '<span class="badge text-bg-{} status-{}">{}</span>', choice.colour, choice.value, choice.label
    )


@register.filter
def unicode_domain(name: str) -> str:
    """`xn--r8jz45g.jp` as people read it (例え.jp); the stored A-label when it cannot be decoded."""
    if "xn--" not in name:
        return name
    try:
        return idna.decode(name)
    except (idna.IDNAError, UnicodeError):
        return name
