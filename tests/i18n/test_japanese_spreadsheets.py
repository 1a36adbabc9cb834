"""Japanese spreadsheets: Shift_JIS, UTF-16 and BOMs read (and named), full-width input folded, Excel-ready exports."""

import io

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from customers.exporter import export_customers
from customers.importer import import_customers
from customers.models import Customer, Domain
from tests.factories import CampaignFactory, CustomerFactory, RepFactory
from tracker.models import Sweep

pytestmark = pytest.mark.django_db

HEADER = ["account_id", "customer_name", "rep_username", "contact_name", "contact_email", "domains"]
ROWS = [
    [
        "ＡＢＣ１２３",
        "株式会社さくら商事",
        "tanaka",
        "山田 太郎",
        "ｙａｍａｄａ＠ｓａｋｕｒａ．ｅｘａｍｐｌｅ",
        "ｅｘａｍｐｌｅ．ｊｐ",
    ],
    [
        "ACC-0012",
        "みなと物流有限会社",
        "tanaka",
        "佐藤 花子",
        "sato@minato.example",
        "minato.example 例え.jp",
    ],
]


@pytest.fixture
def tanaka(db):
    return RepFactory(username="tanaka", last_name="田中", first_name="一郎")


def as_csv(rows, delimiter=",") -> str:
    return "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"


@pytest.mark.parametrize(
    ("encode", "read_as"),
    [
        (lambda text: text.encode("cp932"), "Shift_JIS (CP932)"),
        (lambda text: text.encode("shift_jis"), "Shift_JIS (CP932)"),
        (lambda text: text.encode("utf-8"), "UTF-8"),
        (lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"), "UTF-8 (BOM)"),
    ],
)
def test_a_japanese_csv_imports_in_every_encoding_excel_writes(tanaka, encode, read_as):
    data = encode(as_csv([HEADER, *ROWS]))
    report = import_customers(data, "顧客.csv")
    assert report.ok, report.errors
    assert report.file_format == read_as
    sakura = Customer.objects.get(account_id="ABC123")
    assert (sakura.name, sakura.contact_name, sakura.contact_email) == (
        "株式会社さくら商事",
        "山田 太郎",
        "yamada@sakura.example",
    )
    assert set(Domain.objects.values_list("name", flat=True)) == {
        "example.jp",
        "minato.example",
        "xn--r8jz45g.jp",
    }


def test_excels_unicode_text_is_utf16_with_tabs(tanaka):
    data = as_csv([HEADER, *ROWS], delimiter="\t").encode("utf-16")  # BOM first, like Excel
    assert data[:2] == b"\xff\xfe"
    report = import_customers(data, "顧客.txt")
    assert report.ok, report.errors
    assert report.file_format == "UTF-16"
    assert Customer.objects.get(account_id="ACC-0012").name == "みなと物流有限会社"


def test_full_width_cells_are_folded_and_the_report_says_where(tanaka):
    report = import_customers(as_csv([HEADER, *ROWS]).encode("cp932"), "顧客.csv")
    changes = [(c.row, c.column, c.before, c.after) for c in report.normalised]
    assert changes == [
        (2, "account_id", "ＡＢＣ１２３", "ABC123"),
        (2, "domains", "ｅｘａｍｐｌｅ．ｊｐ", "example.jp"),
        (2, "contact_email", "ｙａｍａｄａ＠ｓａｋｕｒａ．ｅｘａｍｐｌｅ", "yamada@sakura.example"),
    ]
    assert "3 full-width cells normalised." in report.summary()
    assert str(report.normalised[0]) == "row 2, account_id: ＡＢＣ１２３ → ABC123"


def test_bytes_in_no_known_encoding_are_refused_with_a_hint():
    report = import_customers(b"account_id,customer_name\n\x81\x00\xff\xfe\x80,x\n", "bad.csv")
    assert not report.ok and "neither UTF-8, Shift_JIS (CP932) nor UTF-16" in report.errors[0].problem


def test_the_cp932_round_trip_through_an_excel_csv_is_unchanged(tanaka):
    import_customers(as_csv([HEADER, *ROWS]).encode("cp932"), "顧客.csv")
    exported = export_customers(Customer.objects.all(), "csv", excel=True)
    assert exported.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8: names intact
    assert "株式会社さくら商事" in exported.decode("utf-8-sig")
    before = list(Customer.objects.values_list("account_id", "name", "contact_email", "rep__username"))
    report = import_customers(exported, "export.csv")
    assert report.ok and report.file_format == "UTF-8 (BOM)"
    assert report.customers_unchanged == 2 and report.normalised == []
    assert (
        list(Customer.objects.values_list("account_id", "name", "contact_email", "rep__username")) == before
    )


def test_xlsx_keeps_account_ids_as_text():
    CustomerFactory(account_id="0012", name="ゼロ株式会社")
    book = load_workbook(io.BytesIO(export_customers(Customer.objects.all(), "xlsx")))
    cell = book.active["A2"]
    assert (cell.value, cell.data_type, cell.number_format) == ("0012", "s", "@")


def test_the_export_page_writes_a_bom_for_japanese_users_and_plain_utf8_on_request(ops_client, customer):
    japanese = ops_client.get(reverse("tracker:customer_export") + "?format=csv", HTTP_ACCEPT_LANGUAGE="ja")
    assert japanese.content.startswith(b"\xef\xbb\xbf")
    plain = ops_client.get(
        reverse("tracker:customer_export") + "?format=csv&encoding=utf-8", HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert plain.content.startswith(b"account_id,")
    english = ops_client.get(reverse("tracker:customer_export") + "?format=csv", HTTP_ACCEPT_LANGUAGE="en")
    assert english.content.startswith(b"account_id,")
    excel = ops_client.get(
        reverse("tracker:customer_export") + "?format=csv&encoding=excel", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert excel.content.startswith(b"\xef\xbb\xbf")


# -- from issue 15: the import does what the file says ---------------------------------------------


def test_an_unknown_rep_is_an_error_unless_reps_may_be_created(tanaka):
    text = as_csv([HEADER, ["A-1", "株式会社あおば", "tanakaa", "", "", ""]])
    report = import_customers(text.encode(), "typo.csv")
    assert [(e.row, e.column) for e in report.errors] == [(2, "rep_username")]
    assert "there is no user 'tanakaa'" in report.errors[0].problem
    assert not Customer.objects.exists()


def test_a_created_rep_is_invited_to_set_a_password(settings, django_capture_on_commit_callbacks):
    from customers.invitations import invite_rep

    settings.SITE_URL = "https://tracker.example"
    header = ["account_id", "customer_name", "rep_username", "rep_email"]
    text = as_csv([header, ["A-1", "株式会社あおば", "suzuki", "suzuki@isp.example"]])
    with django_capture_on_commit_callbacks(execute=True):
        report = import_customers(text.encode(), "new.csv", create_reps=True, invite=invite_rep)
    assert report.ok and report.reps_created == 1
    (invitation,) = mail.outbox
    assert invitation.to == ["suzuki@isp.example"]
    link = next(
        line for line in invitation.body.splitlines() if line.startswith("https://tracker.example/account/reset/")
    )
    page = (
        __import__("django.test", fromlist=["Client"])
        .Client()
        .get(link.removeprefix("https://tracker.example"), follow=True)
    )
    assert page.status_code == 200 and 'name="new_password1"' in page.text


def test_no_invitation_goes_out_for_a_dry_run(django_capture_on_commit_callbacks):
    from customers.invitations import invite_rep

    text = as_csv(
        [
            ["account_id", "customer_name", "rep_username", "rep_email"],
            ["A-1", "あおば", "suzuki", "s@isp.example"],
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = import_customers(text.encode(), "new.csv", create_reps=True, invite=invite_rep, dry_run=True)
    assert report.reps_created == 1 and mail.outbox == []


def test_the_summary_counts_rows_with_errors_not_errors(tanaka):
    rows = [
        ["A-1", "", "nobody", "", "not-an-email", "ex_ample.com"],  # 3 errors on row 2
        ["A-2", "株式会社", "tanaka", "", "bad", ""],  # 1 on row 3
    ]
    report = import_customers(as_csv([HEADER, *rows]).encode(), "x.csv")
    assert len(report.errors) == 3 + 1 and report.error_rows == 2
    assert report.summary() == "4 errors in 2 rows: nothing was imported."


def test_imported_domains_are_queued_for_a_check_at_once(
    ops_client, tanaka, django_capture_on_commit_callbacks
):
    CampaignFactory()
    upload = io.BytesIO(as_csv([HEADER, *ROWS]).encode("cp932"))
    upload.name = "顧客.csv"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = ops_client.post(reverse("tracker:customer_import"), {"file": upload})
    assert response.status_code == 200 and "Shift_JIS (CP932)" in response.text
    sweep = Sweep.objects.get()
    assert sweep.kind == "single" and sweep.total == 3
    assert callbacks  # the chunk goes to a worker once the import commits (by task name)
