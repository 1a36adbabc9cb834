"""Before login the browser's language; after it, the person's profile (language and zone)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from customers.models import UserProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def japanese_deployment(settings):
    settings.LANGUAGE_CODE = "ja"
    settings.TIME_ZONE = "Asia/Tokyo"


def test_the_login_page_follows_the_browsers_language(client):
    japanese = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ja,en;q=0.8")
    assert (
        '<html lang="ja">' in japanese.text
        and "ログイン" in japanese.text
        and "User name" not in japanese.text
    )
    english = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert (
        '<html lang="en">' in english.text and "User name" in english.text and "ログイン" not in english.text
    )


def test_without_a_browser_language_the_deployments_is_used(client, japanese_deployment):
    response = client.get(reverse("login"))
    assert response["Content-Language"] == "ja" and "ユーザー名" in response.text


def test_the_profile_page_needs_login(client):
    response = client.get(reverse("tracker:account"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_rep_picks_english_and_london_and_pages_follow(rep_client, rep, customer, japanese_deployment):
    page = rep_client.get(reverse("tracker:account"), HTTP_ACCEPT_LANGUAGE="ja")
    assert page.status_code == 200 and "個人設定" in page.text
    response = rep_client.post(
        reverse("tracker:account"),
        {"language": "en", "time_zone": "Europe/London"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 302
    profile = UserProfile.objects.get(user=rep)
    assert (profile.language, profile.time_zone) == ("en", "Europe/London")
    # The browser still says Japanese: the profile wins.
    saved = rep_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="ja")
    assert "Your profile was saved." in saved.text and "Times shown in Europe/London." in saved.text
    assert '<html lang="en">' in saved.text


def test_the_profile_is_read_at_login_and_applied_to_the_time_zone(
    client, rep, customer, japanese_deployment
):
    UserProfile.objects.create(user=rep, language="ja", time_zone="Asia/Tokyo")
    client.force_login(rep)
    page = client.get(reverse("tracker:customer_list"), HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="ja">' in page.text and "時刻は Asia/Tokyo で表示しています。" in page.text


def test_a_blank_language_follows_the_browser(client, rep, customer):
    UserProfile.objects.create(user=rep, language="", time_zone="")
    client.force_login(rep)
    assert '<html lang="ja">' in client.get(reverse("tracker:account"), HTTP_ACCEPT_LANGUAGE="ja").text
    assert '<html lang="en">' in client.get(reverse("tracker:account"), HTTP_ACCEPT_LANGUAGE="en").text


def test_a_bad_time_zone_is_refused(rep_client, rep):
    response = rep_client.post(reverse("tracker:account"), {"language": "ja", "time_zone": "Asia/Tokio"})
    assert response.status_code == 400
    assert not UserProfile.objects.filter(user=rep).exists()


def test_the_navbar_links_to_the_profile(rep_client, customer):
    page = rep_client.get(reverse("tracker:customer_list"))
    assert f'href="{reverse("tracker:account")}"' in page.text


@time_machine.travel(dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.UTC), tick=False)
def test_the_zone_is_active_while_the_page_renders(client, rep, customer):
    from django.utils import timezone

    UserProfile.objects.create(user=rep, language="en", time_zone="Asia/Tokyo")
    client.force_login(rep)
    response = client.get(reverse("tracker:account"))
    assert "Times shown in Asia/Tokyo." in response.text
    assert timezone.get_current_timezone_name() == "UTC"  # deactivated after the request
