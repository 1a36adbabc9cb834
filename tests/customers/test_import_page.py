"""/import/: ops only; shows the row-by-row report."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Customer

URL = reverse("tracker:customer_import")
HEADER = "account_id,customer_name,rep_username,status,domains\n"


def upload(text, name="customers.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_it_requires_login(client, db):
    assert client.get(URL).status_code == 302


def test_it_is_forbidden_for_reps(rep_client):
    assert rep_client.get(URL).status_code == 403
    assert rep_client.post(URL, {"file": upload(HEADER + "ACC-1,Acme,,,\n")}).status_code == 403
    assert not Customer.objects.exists()


def test_ops_import_a_file(ops_client):
    response = ops_client.post(
        URL, {"file": upload(HEADER + "ACC-1,Acme,carol,contacted,acme.example\n"), "create_reps": "on"}
    )
    assert response.status_code == 200
    assert b"1 customer(s) created" in response.content
    assert Customer.objects.get().domains.get().name == "acme.example"


def test_it_shows_every_error_and_imports_nothing(ops_client):
    text = HEADER + "ACC-1,Acme,,,acme.example\nACC-2,,,,\nACC-3,Cobalt,,done,foo..bar\n"
    response = ops_client.post(URL, {"file": upload(text), "create_reps": "on"})
    content = response.content.decode()
    assert "3 errors in 2 rows" in content  # rows 3 and 4
    assert "<td>3</td><td>customer_name</td>" in content
    assert "<td>4</td><td>status</td>" in content and "<td>4</td><td>domains</td>" in content
    assert not Customer.objects.exists()


def test_dry_run_saves_nothing(ops_client):
    response = ops_client.post(URL, {"file": upload(HEADER + "ACC-1,Acme,,,\n"), "dry_run": "on"})
    assert b"Dry run" in response.content
    assert not Customer.objects.exists()
