"""The API docs page in headless Chromium: it draws the schema from installed files, and no request leaves the machine."""

from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_load_with_no_request_leaving_the_machine(page, live_server, login, screenshot, rep):
    ours = urlsplit(live_server.url).netloc
    outside, seen = [], []

    def watch(route, request):
        seen.append(request.url)
        if urlsplit(request.url).netloc != ours and not request.url.startswith("data:"):
            outside.append(request.url)
            return route.abort()
        return route.continue_()

    page.context.route("**/*", watch)
    login("alice")
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-tag", timeout=15_000)
    assert page.get_by_text("Retirement tracker API").first.is_visible()
    assert page.locator(".opblock").count() > 10
    screenshot("api-docs")
    assert outside == []
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in seen)
    assert any("/api/schema/" in url for url in seen)
