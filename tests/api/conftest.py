"""The API over real HTTP: pytest-django's live server, a stdlib HTTP client, and tokens for the cast."""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from tests.browser import conftest as browser_conftest
from tracker.choices import TokenAccess
from tracker.services.tokens import token_create

# The live server with plain-HTTP settings (tests/browser/conftest.py).
_plain_http_while_the_server_starts = browser_conftest._plain_http_while_the_server_starts
live_server = browser_conftest.live_server


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


class Api:
    """Requests to the live server, as a program would send them."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base_url = base_url
        self.token = token

    def request(self, method: str, path: str, data=None, headers=None) -> Answer:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        sent = {"Accept": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            sent["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=body, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data=None, **kwargs):
        return self.request("POST", path, data if data is not None else {}, **kwargs)

    def patch(self, path, data, **kwargs):
        return self.request("PATCH", path, data, **kwargs)


@pytest.fixture
def api_for(live_server):
    """`api_for(user, access)`: a client holding a new token of `user`."""

    def make(user, access=TokenAccess.READ_WRITE, **kwargs):
        _row, token = token_create(user, "test", access, **kwargs)
        return Api(live_server.url, token)

    return make


@pytest.fixture
def anonymous_api(live_server):
    return Api(live_server.url)
