"""The campaign definition (docs/campaign-file.md, a stable contract): parsing and validation.

Shared by the probe engine and the Django `campaign load` command, so that a
file is judged the same way everywhere. Errors name the offending field.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from tracker.probe import domains

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

class CampaignError(ValueError):
    """A campaign file that does not follow the contract; `field` names where."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


def normalize_hostname(value: str, field_name: str) -> str:
    """Lower-case A-label without trailing dot (IDNA 2008, like customer domains), or CampaignError."""
    if not isinstance(value, str) or not value.strip():
        raise CampaignError(field_name, "must be a non-empty host name")
    try:
        return domains.normalize_hostname(value)
    except domains.DomainNameError as exc:
        raise CampaignError(field_name, f"{value!r} is not a valid host name ({exc})") from None


def _host_pattern(value: str, field_name: str) -> str:
    if isinstance(value, str) and value.startswith("*."):
        return "*." + normalize_hostname(value[2:], field_name)
    return normalize_hostname(value, field_name)


def _network(value: Any, field_name: str) -> IPNetwork:
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        raise CampaignError(field_name, f"{value!r} is not a CIDR block") from None


def _address(value: Any, field_name: str) -> IPAddress:
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        raise CampaignError(field_name, f"{value!r} is not an IP address") from None


def _list(data: dict, key: str, prefix: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise CampaignError(f"{prefix}.{key}", "must be a list")
    return value


@dataclass(frozen=True)
class Service:
    """One side of a campaign: the legacy service or its successor."""

    name: str
    mx_hosts: tuple[str, ...] = ()
    spf_includes: tuple[str, ...] = ()
    ip_ranges: tuple[IPNetwork, ...] = ()
    outbound_ips: tuple[IPAddress, ...] = ()
    dkim_selectors: tuple[str, ...] = ()

    def matches_mx_host(self, host: str) -> bool:
        """Exact host name, or any host under `suffix` for a `*.suffix` pattern."""
        host = domains.canonical_name(host)
        for pattern in self.mx_hosts:
            if pattern.startswith("*."):
                if host.endswith(pattern[1:]):
                    return True
            elif host == pattern:
                return True
        return False

    def matches_spf_domain(self, domain: str) -> bool:
        """Exactly one of the SPF domains (case-insensitive, trailing dot ignored)."""
        return domains.canonical_name(domain) in self.spf_includes

    def contains_address(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.ip_ranges if net.version == ip.version)

    def overlaps_network(self, network: IPNetwork) -> bool:
        return any(network.overlaps(net) for net in self.ip_ranges if net.version == network.version)

    def to_dict(self, with_dkim: bool) -> dict:
        data = {
            "name": self.name,
            "mx_hosts": list(self.mx_hosts),
            "spf_includes": list(self.spf_includes),
            "ip_ranges": [str(net) for net in self.ip_ranges],
            "outbound_ips": [str(ip) for ip in self.outbound_ips],
        }
        if with_dkim:
            data["dkim_selectors"] = list(self.dkim_selectors)
        return data


_SERVICE_KEYS = {"name", "mx_hosts", "spf_includes", "ip_ranges", "outbound_ips"}
_CAMPAIGN_KEYS = {"slug", "name", "legacy", "successor", "end_date", "cleanup_date"}
# A DKIM selector is one or more DNS labels (RFC 6376 3.1).
_SELECTOR_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _parse_service(data: Any, prefix: str, allow_dkim: bool) -> Service:
    if not isinstance(data, dict):
        raise CampaignError(prefix, "must be an object")
    allowed = _SERVICE_KEYS | ({"dkim_selectors"} if allow_dkim else set())
    for key in data:
        if key not in allowed:
            raise CampaignError(f"{prefix}.{key}", "unknown field")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CampaignError(f"{prefix}.name", "must be a non-empty string")
    selectors = []
    for i, sel in enumerate(_list(data, "dkim_selectors", prefix) if allow_dkim else []):
        if not isinstance(sel, str) or not all(_SELECTOR_LABEL.match(part) for part in sel.lower().split(".")):
            raise CampaignError(f"{prefix}.dkim_selectors[{i}]", f"{sel!r} is not a DKIM selector")
        selectors.append(sel.lower())
    return Service(
        name=name.strip(),
        mx_hosts=tuple(
            _host_pattern(v, f"{prefix}.mx_hosts[{i}]") for i, v in enumerate(_list(data, "mx_hosts", prefix))
        ),
        spf_includes=tuple(
            normalize_hostname(v, f"{prefix}.spf_includes[{i}]")
            for i, v in enumerate(_list(data, "spf_includes", prefix))
        ),
        ip_ranges=tuple(
            _network(v, f"{prefix}.ip_ranges[{i}]") for i, v in enumerate(_list(data, "ip_ranges", prefix))
        ),
        outbound_ips=tuple(
            _address(v, f"{prefix}.outbound_ips[{i}]")
            for i, v in enumerate(_list(data, "outbound_ips", prefix))
        ),
        dkim_selectors=tuple(selectors),
    )


def _date(data: dict, key: str, required: bool) -> dt.date | None:
    value = data.get(key)
    if value is None:
        if required:
            raise CampaignError(key, "is required (YYYY-MM-DD)")
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CampaignError(key, f"{value!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class Campaign:
    """A retirement campaign as the engine sees it."""

    slug: str
    name: str
    legacy: Service
    successor: Service
    end_date: dt.date | None = None
    cleanup_date: dt.date | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Campaign:
        if not isinstance(data, dict):
            raise CampaignError("campaign", "must be a JSON object")
        for key in data:
            if key not in _CAMPAIGN_KEYS:
                raise CampaignError(key, "unknown field")
        slug = data.get("slug")
        if not isinstance(slug, str) or not _SLUG.match(slug):
            raise CampaignError("slug", "must be lower-case letters, digits and dashes")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise CampaignError("name", "must be a non-empty string")
        if "legacy" not in data:
            raise CampaignError("legacy", "is required")
        if "successor" not in data:
            raise CampaignError("successor", "is required")
        end_date = _date(data, "end_date", required=True)
        cleanup_date = _date(data, "cleanup_date", required=False)
        if end_date and cleanup_date and cleanup_date < end_date:
            raise CampaignError("cleanup_date", "must not be before end_date")
        return cls(
            slug=slug,
            name=name.strip(),
            legacy=_parse_service(data["legacy"], "legacy", allow_dkim=False),
            successor=_parse_service(data["successor"], "successor", allow_dkim=True),
            end_date=end_date,
            cleanup_date=cleanup_date,
        )

    def to_dict(self) -> dict:
        return {
            "slug": self.slug,
            "name": self.name,
            "legacy": self.legacy.to_dict(with_dkim=False),
            "successor": self.successor.to_dict(with_dkim=True),
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "cleanup_date": self.cleanup_date.isoformat() if self.cleanup_date else None,
        }
