"""403, 404, 500 and CSRF failures in the site's layout, with navigation and the reason."""

import pytest
from django.test import Client

from tracker.views.errors import server_error


def test_another_reps_customer_is_a_404_that_says_why(rep_client, other_customer):
    response = rep_client.get(f"/customers/{other_customer.pk}/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "This customer belongs to another rep or does not exist." in text
    assert 'aria-label="Main navigation"' in text  # the layout, with navigation
    assert "Bobcat" not in text


def test_a_missing_domain_and_an_unknown_address(rep_client):
    assert "This domain belongs to another rep" in rep_client.get("/domains/999999/").content.decode()
    response = rep_client.get("/no-such-page/")
    assert response.status_code == 404 and "There is no page at this address." in response.content.decode()


def test_an_ops_page_is_a_403_that_says_why(rep_client, db):
    response = rep_client.get("/domains/")
    assert response.status_code == 403
    text = response.content.decode()
    assert "This page is for operations staff." in text and 'aria-label="Main navigation"' in text


def test_the_500_page_needs_no_context(rf):
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.django_db
def test_a_form_with_an_expired_token_gets_a_friendly_page(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    response = client.post("/logout/")
    assert response.status_code == 403
    text = response.content.decode()
    assert "This form has expired" in text and "Nothing was saved." in text
    assert 'aria-label="Main navigation"' in text
