"""Fixtures for the engine's HTTPS side: one policy server per session, emptied for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.probe.policy_server import PolicyServer


@pytest.fixture(scope="session")
def policy_server_session() -> Iterator[PolicyServer]:
    with PolicyServer() as server:
        yield server


@pytest.fixture
def policy_server(policy_server_session: PolicyServer) -> Iterator[PolicyServer]:
    """The session's HTTPS server with no pages: declare them with `policy_server.serve(host, Page(...))`."""
    policy_server_session.reset()
    yield policy_server_session
    policy_server_session.reset()
