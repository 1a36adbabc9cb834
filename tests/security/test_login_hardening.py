"""Login and session hardening: lockout with an ops unlock, password change and reset, idle and
absolute session limits, security headers (CSP, no-store) on signed-in pages and exports."""

import re
import time

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD
from tracker.project.middleware import SESSION_STARTED_KEY


def _fail(client, username, times):
    for _ in range(times):
        client.post(reverse("login"), {"username": username, "password": "wrong-password"})


def test_five_wrong_passwords_lock_the_account_and_the_login_page_says_so(client, rep, settings):
    _fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "This account is locked after 5 wrong passwords" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_user_name_and_address_so_a_colleague_still_logs_in(
    client, rep, other_rep, settings
):
    _fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    response = client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other_rep.pk)


def test_a_forged_forwarded_for_header_does_not_dodge_the_lockout(client, rep, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": "alice", "password": "nope"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429


def test_ops_see_the_locked_login_and_unlock_it(client, rep, ops_user, settings):
    _fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    client.force_login(ops_user)
    page = client.get(reverse("lockout_list"))
    assert page.status_code == 200
    assert "Unlock alice" in page.content.decode()
    attempt = AccessAttempt.objects.get(username="alice")
    response = client.post(reverse("lockout_unlock", args=[attempt.pk]), follow=True)
    assert "alice can log in again." in response.content.decode()
    client.logout()
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(rep.pk)


def test_a_rep_cannot_open_the_lockout_page_nor_unlock(rep_client, client, other_rep, settings):
    attempt = AccessAttempt.objects.create(
        username="bob",
        ip_address="127.0.0.1",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        user_agent="",
    )
    assert rep_client.get(reverse("lockout_list")).status_code == 403
    assert rep_client.post(reverse("lockout_unlock", args=[attempt.pk])).status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_a_rep_changes_the_password_and_the_old_one_stops_working(client, rep):
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and 'class="navbar' in page.content.decode()  # the site's layout
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-phrase-42",
            "new_password2": "a-new-long-phrase-42",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    rep.refresh_from_db()
    assert rep.check_password("a-new-long-phrase-42") and not rep.check_password(PASSWORD)


def test_a_forgotten_password_is_reset_through_the_mailed_link(client, rep):
    response = client.post(reverse("password_reset"), {"email": rep.email})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [rep.email]
    link = re.search(r"https?://[^/\s]+(/account/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "fresh-phrase-2026", "new_password2": "fresh-phrase-2026"})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    rep.refresh_from_db()
    assert rep.check_password("fresh-phrase-2026")
    # The link works once.
    assert "This link is not valid any more" in client.get(link, follow=True).content.decode()


def test_a_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, rep):
    response = client.post(reverse("password_reset"), {"email": "nobody@provider.example"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_sessions_expire_after_idle_time_and_each_request_moves_the_expiry(rep_client, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    response = rep_client.get(reverse("tracker:customer_list"))
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == 30 * 60


def test_a_busy_session_still_ends_after_the_maximum_age(rep_client, settings):
    rep_client.get(reverse("tracker:customer_list"))
    session = rep_client.session
    session[SESSION_STARTED_KEY] = int(time.time()) - settings.SESSION_MAX_AGE - 5
    session.save()
    response = rep_client.get(reverse("tracker:customer_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["tracker:customer_list", "tracker:task_list", "password_change"])
def test_signed_in_pages_are_not_stored_and_carry_the_security_headers(rep_client, name):
    response = rep_client.get(reverse(name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert script_src.strip() == "'self'" and "unsafe-inline" not in script_src
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_exports_with_customer_data_are_not_stored(ops_client, customer):
    response = ops_client.get(reverse("tracker:customer_export"))
    assert response.status_code == 200 and b"ACC-1001" in b"".join(response)
    assert "no-store" in response["Cache-Control"]


def test_the_login_page_has_the_policy_too(client, db):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "Forgot your password?" in response.content.decode()
