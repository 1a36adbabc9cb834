"""One bounded HTTPS GET to addresses our own resolver found (for the MTA-STS policy file).

Why not urllib or httpx: they resolve the host name themselves, with the system
resolver, and the engine must fetch from the address its resolver returned (the
one every other conclusion rests on). So this connects to a given IP, sends
SNI and checks the certificate against the host name (system CAs, or a CA
bundle for tests and private PKIs), and reads at most `max_bytes` within
`timeout` seconds in all. No redirects (RFC 8461 3.3), no cookies, no cache.
Addresses outside the public internet are refused unless allowed (tests on
loopback), so a customer's DNS cannot make our workers probe the inside.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

MAX_HEADER_BYTES = 16 * 1024
MAX_ADDRESSES_TRIED = 3
USER_AGENT = "retirement-tracker-probe (MTA-STS policy check)"


@dataclass(frozen=True)
class HttpsOptions:
    """How the engine fetches over HTTPS; picklable, so worker processes get the same."""

    ca_file: str | None = None  # None: the system's CAs
    port: int = 443
    timeout: float = 10.0  # seconds for the whole fetch: connect, TLS, request and response
    max_bytes: int = 64 * 1024  # body size; a larger one is refused, not cut
    allow_private: bool = False  # connect to loopback and private addresses (tests only)


@dataclass(frozen=True)
class HttpsResponse:
    """An HTTP response (`status` set) or why there was none (`error` set): never both missing."""

    status: int | None = None
    content_type: str = ""
    body: bytes = b""
    error: str | None = None
    address: str = ""  # the address that answered (or the last one tried)


@functools.lru_cache(maxsize=8)
def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Built once per process and CA bundle: loading the system store costs milliseconds."""
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _reachable(address: str, allow_private: bool) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return allow_private or ip.is_global


async def https_get(host: str, path: str, addresses: Sequence[str], options: HttpsOptions) -> HttpsResponse:
    """GET https://host/path from the first address that gives an HTTP response; never raises."""
    usable = [address for address in addresses if _reachable(address, options.allow_private)]
    if not usable:
        refused = ", ".join(addresses[:4])
        return HttpsResponse(error=f"{host} has no public address to fetch from ({refused})")
    try:
        context = _tls_context(options.ca_file)
    except (OSError, ssl.SSLError) as exc:
        return HttpsResponse(error=f"cannot load the CA bundle {options.ca_file!r}: {exc}")
    errors: list[str] = []
    address = usable[0]
    try:
        async with asyncio.timeout(options.timeout):
            for address in usable[:MAX_ADDRESSES_TRIED]:
                response = await _exchange(address, host, path, options, context)
                if response.status is not None:
                    return response
                errors.append(f"{address}: {response.error}")
    except TimeoutError:
        errors.append(f"{address}: timeout: no complete response within {options.timeout:g} s")
    return HttpsResponse(error="; ".join(errors), address=address)


async def _exchange(
    address: str, host: str, path: str, options: HttpsOptions, context: ssl.SSLContext
) -> HttpsResponse:
    writer = None
    try:
        reader, writer = await asyncio.open_connection(
            address, options.port, ssl=context, server_hostname=host, limit=MAX_HEADER_BYTES
        )
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
            "Accept: text/plain\r\nConnection: close\r\n\r\n"
        )
        writer.write(request.encode("ascii"))
        await writer.drain()
        status, headers = _head(await reader.readuntil(b"\r\n\r\n"))
        body = await _body(reader, headers, options.max_bytes)
        return HttpsResponse(status, headers.get("content-type", ""), body, address=address)
    except ssl.SSLCertVerificationError as exc:
        return HttpsResponse(error=f"certificate not trusted: {exc.verify_message or exc}", address=address)
    except ssl.SSLError as exc:
        return HttpsResponse(error=f"TLS error: {exc.reason or exc}", address=address)
    except asyncio.LimitOverrunError:
        return HttpsResponse(error=f"response headers over {MAX_HEADER_BYTES} bytes", address=address)
    except asyncio.IncompleteReadError:
        return HttpsResponse(error="the connection closed before the response was complete", address=address)
    except _BadResponse as exc:
        return HttpsResponse(error=str(exc), address=address)
    except OSError as exc:
        return HttpsResponse(error=f"connection failed: {exc.strerror or exc}", address=address)
    finally:
        if writer is not None:
            writer.close()  # not awaited: a peer that never completes the TLS close must not hold us


class _BadResponse(Exception):
    """Not HTTP/1.x, or a body over the limit."""


def _head(data: bytes) -> tuple[int, dict[str, str]]:
    lines = data.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise _BadResponse(f"not an HTTP/1.x response: {lines[0][:60]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), value.strip())
    return int(parts[1]), headers


async def _body(reader: asyncio.StreamReader, headers: dict[str, str], limit: int) -> bytes:
    too_large = f"response body over {limit} bytes"
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _chunked(reader, limit, too_large)
    length = headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise _BadResponse(f"bad Content-Length {length[:20]!r}")
        if int(length) > limit:
            raise _BadResponse(too_large)
        return await reader.readexactly(int(length))
    body = bytearray()
    while chunk := await reader.read(8192):
        body += chunk
        if len(body) > limit:
            raise _BadResponse(too_large)
    return bytes(body)


async def _chunked(reader: asyncio.StreamReader, limit: int, too_large: str) -> bytes:
    body = bytearray()
    while True:
        size_line = (await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise _BadResponse(f"bad chunk size {size_line[:20]!r}") from None
        if size == 0:
            return bytes(body)
        if len(body) + size > limit:
            raise _BadResponse(too_large)
        body += await reader.readexactly(size)
        await reader.readexactly(2)  # the CRLF after each chunk
