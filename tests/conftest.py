"""Project-wide pytest fixtures."""

from tests.conftest_cast import *  # noqa: F401,F403
from tests.conftest_celery import celery_app, celery_worker, dead_nameserver, redis_url, sweep_dns  # noqa: F401
from tests.conftest_dns import dns_server, dns_server_session, resolver  # noqa: F401
