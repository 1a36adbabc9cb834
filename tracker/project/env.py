"""Typed reads of environment variables for the settings: a bad value stops the start, naming the variable.

A typo such as `DEBUG=ture` or `DNS_TIMEOUT=2s` must not quietly become a default:
the process refuses to start and says which variable holds what.
"""

from __future__ import annotations

import os
import zoneinfo

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a yes/no value: use one of {', '.join(TRUE_WORDS + FALSE_WORDS)}"
    )


def _number(name: str, default, kind):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return kind(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not {'a whole number' if kind is int else 'a number'}") from None


def env_int(name: str, default: int) -> int:
    return _number(name, default, int)


def env_float(name: str, default: float) -> float:
    return _number(name, default, float)


def env_choice(name: str, default: str, choices) -> str:
    """One of `choices` (e.g. a language code from LANGUAGES); anything else stops the start."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return value


def env_time_zone(name: str, default: str) -> str:
    """An IANA zone name such as Asia/Tokyo; a typo (Asia/Tokio) stops the start instead of becoming UTC."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip()
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a time zone name (e.g. Asia/Tokyo, UTC)") from None
    return value


def env_list(name: str, default: str = "") -> list[str]:
    """Comma-separated items, spaces around them dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]
