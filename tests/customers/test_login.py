"""/login/: the login page, and anonymous visitors are sent to it."""

from django.urls import reverse

from tests.factories import PASSWORD


def test_it_shows_the_login_form(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content and b'name="password"' in response.content


def test_anonymous_is_redirected_to_login_with_next(client, customer):
    response = client.get(reverse("tracker:customer_detail", args=[customer.pk]))
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"{reverse('login')}?next={reverse('tracker:customer_detail', args=[customer.pk])}"
    )


def test_a_rep_logs_in_and_lands_on_their_home(client, rep):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert b"My customers still to move" in response.content


def test_logout_is_a_post(rep_client):
    response = rep_client.post(reverse("logout"))
    assert response.status_code == 302
    assert rep_client.get(reverse("tracker:customer_list")).status_code == 302
