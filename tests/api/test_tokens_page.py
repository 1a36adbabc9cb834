"""The token page: made and shown once, stored hashed, revoked by their owner only."""

import hashlib

import pytest

from tracker.models import ApiToken
from tracker.services.tokens import token_authenticate


def test_the_page_requires_login(client):
    answer = client.get("/account/tokens/")
    assert answer.status_code == 302 and "/login/" in answer["Location"]


def test_a_token_is_shown_once_and_stored_hashed(rep_client, rep):
    answer = rep_client.post("/account/tokens/", {"name": "CRM sync", "access": "read_write"})
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    token = answer.context["new_token"]
    assert token.startswith("rt_") and token in answer.content.decode()
    row = ApiToken.objects.get(user=rep)
    assert (row.name, row.access, row.expires_at) == ("CRM sync", "read_write", None)
    assert row.secret_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(ApiToken.objects.values()))
    assert token_authenticate(token) == row

    listing = rep_client.get("/account/tokens/").content.decode()
    assert "CRM sync" in listing and token not in listing and f"rt_{row.prefix}_" in listing


def test_an_expiry_in_the_past_is_refused(rep_client, rep):
    answer = rep_client.post("/account/tokens/", {"name": "x", "access": "read", "expires_on": "2020-01-01"})
    assert answer.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_stops_the_token(rep_client, rep):
    token = rep_client.post("/account/tokens/", {"name": "x", "access": "read"}).context["new_token"]
    row = ApiToken.objects.get()
    answer = rep_client.post(f"/account/tokens/{row.pk}/revoke/")
    assert answer.status_code == 302
    assert token_authenticate(token) is None
    assert "revoked" in rep_client.get("/account/tokens/").content.decode()


@pytest.mark.django_db
def test_nobody_revokes_another_users_token(client, rep, other_rep):
    client.force_login(rep)
    token = client.post("/account/tokens/", {"name": "x", "access": "read"}).context["new_token"]
    client.force_login(other_rep)
    row = ApiToken.objects.get()
    assert client.post(f"/account/tokens/{row.pk}/revoke/").status_code == 404
    assert token_authenticate(token) == row
