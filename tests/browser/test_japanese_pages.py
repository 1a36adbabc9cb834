"""The pages in Japanese and in English, as a Japanese and an English browser show them.

A Japanese crawl (Accept-Language: ja, and the profile setting) finds no interface text
with two English words in a row on the pages translated so far (login, profile, import;
the navigation and footer on every page), and times in JST. The English crawl finds no
Japanese there. Data shown as code (`code`, `pre`, `kbd`, `samp`), choices naming a
language or zone (`select`) and names of people (`translate="no"`) are not interface text.
Screenshots go to artifacts/screenshots/ja-*.png.
"""

import re

import pytest

from customers.models import UserProfile
from tests.factories import PASSWORD, CampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TWO_ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{2,}[ ]+[A-Za-z]{2,}\b")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# Pages whose own text is translated; on the others, the navigation and footer.
TRANSLATED_PAGES = ["/account/", "/import/"]
OTHER_PAGES = ["/customers/", "/tasks/", "/dashboard/", "/domains/", "/campaigns/"]

VISIBLE_TEXT = """(scope) => {
  const root = scope ? document.querySelector(scope) : document.body;
  if (!root) return ["missing: " + scope];
  const skip = "code, pre, kbd, samp, select, script, style, [translate=no]";
  const texts = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!node.textContent.trim() || parent.closest(skip)) continue;
    const style = getComputedStyle(parent);
    if (style.display === "none" || style.visibility === "hidden") continue;
    texts.push(node.textContent.trim().replace(/\\s+/g, " "));
  }
  for (const el of root.querySelectorAll("[placeholder], [title], [aria-label], input[type=submit]")) {
    if (el.closest(skip)) continue;
    for (const name of ["placeholder", "title", "aria-label", "value"]) {
      if (el.getAttribute(name) && name !== "value" || el.type === "submit") texts.push(el.getAttribute(name) || "");
    }
  }
  if (!scope) texts.push(document.title);
  return texts.filter(Boolean);
}"""


@pytest.fixture
def tokyo(settings):
    settings.LANGUAGE_CODE = "ja"
    settings.TIME_ZONE = "Asia/Tokyo"


@pytest.fixture
def japanese_page(browser, live_server, plain_http_cookies):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page, live_server, username, button):
    page.goto(f"{live_server.url}/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state("networkidle")


def english_phrases(page, scope=None) -> list[str]:
    return [text for text in page.evaluate(VISIBLE_TEXT, scope) if TWO_ENGLISH_WORDS.search(text)]


def japanese_texts(page, scope=None) -> list[str]:
    return [text for text in page.evaluate(VISIBLE_TEXT, scope) if JAPANESE.search(text)]


def test_the_pages_speak_japanese_to_a_japanese_browser(
    japanese_page, live_server, ops_user, customer, tokyo
):
    CampaignFactory()
    page = japanese_page
    page.goto(f"{live_server.url}/login/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert english_phrases(page) == []
    page.screenshot(path=str(_shot("ja-login")), full_page=True)
    log_in(page, live_server, ops_user.username, "ログイン")
    for path in TRANSLATED_PAGES:
        page.goto(f"{live_server.url}{path}")
        assert english_phrases(page) == [], path
        assert "時刻は Asia/Tokyo で表示しています。" in page.locator("footer").inner_text()
        page.screenshot(path=str(_shot("ja" + path.rstrip("/").replace("/", "-"))), full_page=True)
    for path in OTHER_PAGES:
        page.goto(f"{live_server.url}{path}")
        assert english_phrases(page, "nav.navbar") == [], path
        assert english_phrases(page, "footer") == [], path
        page.screenshot(path=str(_shot("ja" + path.rstrip("/").replace("/", "-"))), full_page=True)


def test_a_profile_in_english_wins_over_a_japanese_browser(japanese_page, live_server, rep, customer, tokyo):
    UserProfile.objects.create(user=rep, language="en", time_zone="Europe/London")
    page = japanese_page
    log_in(page, live_server, rep.username, "ログイン")
    for path in ["/account/", "/customers/", "/tasks/"]:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == "en"
        assert japanese_texts(page, "nav.navbar") == [], path
        assert "Times shown in Europe/London." in page.locator("footer").inner_text()
    page.goto(f"{live_server.url}/account/")
    assert japanese_texts(page) == []


def test_a_rep_switches_to_japanese_and_tokyo_on_the_profile_page(page, live_server, login, rep, customer):
    login(rep.username)  # an English browser
    page.goto(f"{live_server.url}/account/")
    page.locator("select[name=language]").select_option("ja")
    page.locator("select[name=time_zone]").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "個人設定を保存しました。" in page.content()
    assert english_phrases(page) == []
    assert "時刻は Asia/Tokyo で表示しています。" in page.locator("footer").inner_text()


def _shot(name):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
