"""The customer notice in formal business Japanese: 御中/様, です/ます, the change quoted, a Japanese date."""

import pytest

from tests.tracker.test_notices import campaign, checked_customer  # noqa: F401 (fixtures)
from tracker.models import NoticeTemplate
from tracker.services.notices import notice_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def japanese_deployment(settings):
    settings.LANGUAGE_CODE = "ja"


def test_a_notice_is_japanese_by_default(checked_customer, campaign, japanese_deployment):  # noqa: F811
    checked_customer.contact_name = ""
    checked_customer.save()
    notice = notice_draft(checked_customer, campaign)
    assert notice.subject == "【重要】2099年9月30日までにメールの DNS 設定変更をお願いします"
    body = notice.body
    assert body.startswith("Acme Widgets 御中\n")
    assert "2099年9月30日までに以下の DNS 設定の変更をお願いいたします。" in body
    # the exact record, on a line of its own, indented like code
    assert "\n      v=spf1 include:spf.successor.example -all\n" in body
    assert "Secure MXのメールサーバー（MX）: mx1.securemx.example\n" in body
    assert "*.securemx.example" not in body
    assert "mail.acme.example の MX レコードを mx1.securemx.example に変更してください。" in body
    assert "まだ確認できていません。" in body
    assert "担当営業のAlice Archerまでお問い合わせください。" in body


def test_a_contact_is_addressed_by_name_with_sama(checked_customer, campaign, japanese_deployment):  # noqa: F811
    checked_customer.contact_name = "山田 太郎"
    checked_customer.save()
    body = notice_draft(checked_customer, campaign).body
    assert body.startswith("Acme Widgets\n山田 太郎 様\n")


def test_each_language_has_its_own_campaign_template(checked_customer, campaign):  # noqa: F811
    NoticeTemplate.objects.create(
        campaign=campaign, language="ja", subject="日本語", body="{{ deadline|date }}"
    )
    NoticeTemplate.objects.create(
        campaign=campaign, language="en", subject="English", body="{{ deadline|date }}"
    )
    japanese = notice_draft(checked_customer, campaign, language="ja")
    english = notice_draft(checked_customer, campaign, language="en")
    assert (japanese.subject, japanese.body) == ("日本語", "2099年9月30日\n")
    assert (english.subject, english.body) == ("English", "30 September 2099\n")


def test_an_unknown_language_falls_back_to_the_deployments(checked_customer, campaign, japanese_deployment):  # noqa: F811
    assert notice_draft(checked_customer, campaign, language="fr").subject.startswith("【重要】")


def test_ops_edit_the_japanese_template_on_its_own_tab(ops_client, campaign, customer):  # noqa: F811
    page = ops_client.get(f"/campaigns/{campaign.slug}/notice-template/?language=ja")
    assert "御中" in page.text  # the Japanese default to start from
    response = ops_client.post(
        f"/campaigns/{campaign.slug}/notice-template/",
        {"language": "ja", "subject": "件名", "body": "{{ customer.name }} 御中", "action": "save"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?language=ja")
    assert NoticeTemplate.objects.get(campaign=campaign, language="ja").subject == "件名"
    assert not NoticeTemplate.objects.filter(language="en").exists()
