"""Pytest fixtures for DNS: a real server on loopback and a Resolver pointed at it.

One server runs for the whole session (starting threads per test is slow);
each test gets it with records, faults, latency and the query log cleared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tracker.probe.resolver import Resolver
from tracker.probe.zoneserver import ZoneServer, has_ipv6_loopback

# Some containers have no ::1: tests of IPv6 transport skip there.
needs_ipv6_loopback = pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback")

# Short so that timeout tests stay fast: a silent name costs 2 x 0.3 s.
TEST_TIMEOUT = 0.3
TEST_ATTEMPTS = 2


@pytest.fixture(scope="session")
def dns_server_session() -> Iterator[ZoneServer]:
    with ZoneServer() as server:
        yield server


@pytest.fixture
def dns_server(dns_server_session: ZoneServer) -> Iterator[ZoneServer]:
    """The session's server, empty: declare records with `dns_server.set_records({...})`."""
    dns_server_session.reset()
    yield dns_server_session
    dns_server_session.reset()


@pytest.fixture
def resolver(dns_server: ZoneServer) -> Iterator[Resolver]:
    """A Resolver asking only the test server, with a short timeout; use it inside asyncio.run()."""
    instance = Resolver([dns_server.address], timeout=TEST_TIMEOUT, attempts=TEST_ATTEMPTS)
    yield instance
    asyncio.run(instance.close())
