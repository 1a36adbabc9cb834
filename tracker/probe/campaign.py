"""The campaign definition (docs/campaign-file.md, a stable contract): parsing and validation.

Shared by the probe engine and the Django `campaign load` command, so that a
file is judged the same way everywhere. Errors name the offending field.

Beyond the original contract fields a service may list what the engine needs for the
other DNS references to it (MTA-STS, TLS-RPT, DMARC report addresses, DKIM,
mail client names, SRV, DANE): `hosts`, `mail_domains`, `dkim_selectors`
(legacy), `tlsa`, and for the successor `client_hosts`, `dmarc_rua` and
`tlsrpt_rua`. Each is optional; an absent one is not written back by
`to_dict()` (so a file without them still round-trips byte for byte) and turns
its checks off, so a campaign pays only for the lookups it asks for.
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

# What `successor.client_hosts` may name: the mail client services whose DNS names the engine checks.
CLIENT_SERVICES = ("imap", "pop3", "submission", "webmail", "autodiscover", "autoconfig")


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
    dkim_selectors: tuple[str, ...] | None = ()  # legacy: None when the file does not list them
    # Optional fields (None: absent from the file, so not written back and its checks are off).
    hosts: tuple[str, ...] | None = None  # the other servers (POP, IMAP, webmail, policy, mailboxes)
    mail_domains: tuple[str, ...] | None = None  # domains whose mailboxes live on this service
    tlsa: tuple[TlsaPin, ...] | None = None  # what this service's MX present to DANE senders
    client_hosts: tuple[tuple[str, str], ...] | None = None  # successor: (service, host) for mail clients
    dmarc_rua: tuple[str, ...] | None = None  # successor: URIs that take DMARC aggregate reports
    tlsrpt_rua: tuple[str, ...] | None = None  # successor: URIs that take TLS-RPT reports

    def matches_mx_host(self, host: str) -> bool:
        """Exact host name, or any host under `suffix` for a `*.suffix` pattern."""
        return _matches_patterns(domains.canonical_name(host), self.mx_hosts)

    def matches_host(self, host: str) -> bool:
        """Any of the service's servers: its MX hosts and its other `hosts` (same pattern rules)."""
        host = domains.canonical_name(host)
        return _matches_patterns(host, self.mx_hosts) or _matches_patterns(host, self.hosts or ())

    def matches_mail_domain(self, domain: str) -> bool:
        """A mailbox domain of the service (`mail_domains`, exact or `*.suffix`)."""
        return _matches_patterns(domains.canonical_name(domain), self.mail_domains or ())

    def client_host(self, service: str) -> str | None:
        """The host the successor tells mail clients to use for `service` (CLIENT_SERVICES), if listed."""
        return dict(self.client_hosts or ()).get(service)

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
        """The file form: the original fields, then the optional ones that were given, in a fixed order."""
        data: dict[str, Any] = {
            "name": self.name,
            "mx_hosts": list(self.mx_hosts),
            "spf_includes": list(self.spf_includes),
            "ip_ranges": [str(net) for net in self.ip_ranges],
            "outbound_ips": [str(ip) for ip in self.outbound_ips],
        }
        if with_dkim or self.dkim_selectors is not None:
            data["dkim_selectors"] = list(self.dkim_selectors or ())
        optional = {
            "hosts": self.hosts,
            "mail_domains": self.mail_domains,
            "tlsa": None if self.tlsa is None else [str(pin) for pin in self.tlsa],
            "client_hosts": None if self.client_hosts is None else dict(self.client_hosts),
            "dmarc_rua": self.dmarc_rua,
            "tlsrpt_rua": self.tlsrpt_rua,
        }
        for key, value in optional.items():
            if value is not None:
                data[key] = dict(value) if isinstance(value, dict) else list(value)
        return data


def _matches_patterns(host: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False


@dataclass(frozen=True)
class TlsaPin:
    """A certificate or key association (RFC 6698): the data, and the record's other fields when given.

    Legacy pins may be a bare hash (any TLSA record carrying it, or hashing to it,
    pins that service); the successor's must be whole records, since the engine
    tells customers to publish them.
    """

    data: str  # lower-case hex
    usage: int | None = None
    selector: int | None = None
    matching_type: int | None = None

    def __str__(self) -> str:
        if self.usage is None:
            return self.data
        return f"{self.usage} {self.selector} {self.matching_type} {self.data}"


_HEX = re.compile(r"^[0-9a-f]+$")
_HASH_LENGTHS = {1: 64, 2: 128}  # SHA-256, SHA-512 in hex (RFC 6698 2.1.3)
MAX_TLSA_DATA_HEX = 8192


def _tlsa_pin(value: Any, field_name: str, whole_record: bool) -> TlsaPin:
    if not isinstance(value, str) or not value.strip():
        raise CampaignError(field_name, "must be a TLSA record's data (hex) or 'usage selector type hex'")
    parts = value.split()
    if len(parts) == 1 and not whole_record:
        data = parts[0].lower()
        if not _HEX.match(data) or len(data) not in _HASH_LENGTHS.values():
            raise CampaignError(field_name, f"{value!r} is not a SHA-256 or SHA-512 hash in hex")
        return TlsaPin(data)
    if len(parts) != 4 or not all(part.isdigit() for part in parts[:3]):
        expected = "'usage selector matching-type hex'" + ("" if whole_record else " or a hash in hex")
        raise CampaignError(field_name, f"{value!r} is not {expected}, e.g. '3 1 1 0123...'")
    usage, selector, matching_type = (int(part) for part in parts[:3])
    data = parts[3].lower()
    if usage > 3 or selector > 1 or matching_type > 2:
        raise CampaignError(field_name, f"{value!r}: usage 0-3, selector 0-1, matching type 0-2")
    if not _HEX.match(data) or len(data) % 2 or len(data) > MAX_TLSA_DATA_HEX:
        raise CampaignError(field_name, f"{value!r}: the data must be hex")
    if matching_type in _HASH_LENGTHS and len(data) != _HASH_LENGTHS[matching_type]:
        raise CampaignError(
            field_name,
            f"{value!r}: matching type {matching_type} needs a hash of "
            f"{_HASH_LENGTHS[matching_type]} hex digits",
        )
    return TlsaPin(data, usage, selector, matching_type)


_MAILTO = re.compile(r"^mailto:[^@\s,;!]+@([^@\s,;!]+)$", re.IGNORECASE)
_HTTPS = re.compile(r"^https://([^/\s:?#]+)(:[0-9]+)?(/[^\s,;]*)?$", re.IGNORECASE)


def _report_uri(value: Any, field_name: str, schemes: tuple[str, ...]) -> str:
    text = value.strip() if isinstance(value, str) else ""
    for scheme, pattern in (("mailto", _MAILTO), ("https", _HTTPS)):
        match = pattern.match(text) if scheme in schemes else None
        if match:
            normalize_hostname(match.group(1), field_name)
            return text
    shown = " or ".join(f"{scheme}:" for scheme in schemes)
    raise CampaignError(field_name, f"{value!r} is not a {shown} report address")


_SERVICE_KEYS = {"name", "mx_hosts", "spf_includes", "ip_ranges", "outbound_ips", "hosts", "tlsa"}
_LEGACY_KEYS = _SERVICE_KEYS | {"mail_domains", "dkim_selectors"}
_SUCCESSOR_KEYS = _SERVICE_KEYS | {"dkim_selectors", "client_hosts", "dmarc_rua", "tlsrpt_rua"}
_CAMPAIGN_KEYS = {"slug", "name", "legacy", "successor", "end_date", "cleanup_date"}
# A DKIM selector is one or more DNS labels (RFC 6376 3.1).
_SELECTOR_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _optional_list(data: dict, key: str, prefix: str, item) -> tuple | None:
    """None when absent; else each item through `item(value, field_name)`."""
    if key not in data:
        return None
    return tuple(item(value, f"{prefix}.{key}[{i}]") for i, value in enumerate(_list(data, key, prefix)))


def _selector(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not all(
        _SELECTOR_LABEL.match(part) for part in value.lower().split(".")
    ):
        raise CampaignError(field_name, f"{value!r} is not a DKIM selector")
    return value.lower()


def _client_hosts(data: dict, prefix: str) -> tuple[tuple[str, str], ...] | None:
    if "client_hosts" not in data:
        return None
    value = data["client_hosts"]
    if not isinstance(value, dict):
        raise CampaignError(f"{prefix}.client_hosts", "must be an object: {service: host name}")
    for key in value:
        if key not in CLIENT_SERVICES:
            raise CampaignError(
                f"{prefix}.client_hosts.{key}", f"unknown service (one of {', '.join(CLIENT_SERVICES)})"
            )
    return tuple(
        (key, normalize_hostname(value[key], f"{prefix}.client_hosts.{key}"))
        for key in CLIENT_SERVICES
        if key in value
    )


def _parse_service(data: Any, prefix: str, allow_dkim: bool) -> Service:
    if not isinstance(data, dict):
        raise CampaignError(prefix, "must be an object")
    allowed = _SUCCESSOR_KEYS if allow_dkim else _LEGACY_KEYS
    for key in data:
        if key not in allowed:
            raise CampaignError(f"{prefix}.{key}", "unknown field")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CampaignError(f"{prefix}.name", "must be a non-empty string")
    selectors = _optional_list(data, "dkim_selectors", prefix, _selector)
    if allow_dkim and selectors is None:
        selectors = ()  # the successor's selectors were always part of the contract
    successor = allow_dkim
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
        dkim_selectors=selectors,
        hosts=_optional_list(data, "hosts", prefix, _host_pattern),
        mail_domains=_optional_list(data, "mail_domains", prefix, _host_pattern),
        tlsa=_optional_list(data, "tlsa", prefix, lambda v, f: _tlsa_pin(v, f, whole_record=successor)),
        client_hosts=_client_hosts(data, prefix),
        dmarc_rua=_optional_list(data, "dmarc_rua", prefix, lambda v, f: _report_uri(v, f, ("mailto",))),
        tlsrpt_rua=_optional_list(
            data, "tlsrpt_rua", prefix, lambda v, f: _report_uri(v, f, ("mailto", "https"))
        ),
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
