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


def test_a_user_makes_a_token_sees_it_once_and_revokes_it(page, live_server, login, screenshot, rep):
    login("alice")
    page.goto(f"{live_server.url}/account/tokens/")
    page.locator("input[name=name]").fill("CRM sync")
    page.locator("select[name=access]").select_option("read_write")
    page.locator("form button[type=submit]", has_text="Create token").click()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("rt_")
    screenshot("api-token-created")
    page.goto(f"{live_server.url}/account/tokens/")
    assert token not in page.content()
    page.get_by_role("button", name="Revoke").click()
    assert page.locator("td .badge", has_text="revoked").is_visible()


def test_ops_set_up_an_alert_channel(page, live_server, login, screenshot, ops_user):
    login("olga")
    page.goto(f"{live_server.url}/alerts/")
    page.locator("input[name=name]").fill("Ops Slack")
    page.locator("select[name=kind]").select_option("slack")
    page.locator("input[name=target]").fill(
        "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX"
    )
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("cell", name="Ops Slack").is_visible()
    screenshot("alert-channels")
