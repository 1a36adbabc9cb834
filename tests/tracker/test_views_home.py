"""`/` sends each person where their day starts; the tracker's pages are in the project URLconf."""

from django.urls import reverse

from tests.factories import CampaignFactory


def test_the_tracker_pages_are_reachable():
    assert reverse("tracker:domain_list") == "/domains/"


def test_the_project_sends_ops_home_to_the_dashboard(ops_client, db):
    campaign = CampaignFactory()
    response = ops_client.get("/")
    assert response["Location"] in (f"/campaigns/{campaign.slug}/dashboard/", "/dashboard/")


def test_the_project_shows_reps_their_home(rep_client):
    response = rep_client.get("/")
    assert response.status_code == 200 and reverse("tracker:customer_list") in response.content.decode()
