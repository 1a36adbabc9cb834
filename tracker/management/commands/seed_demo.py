"""`manage.py seed_demo`: a realistic, deterministic demo of a Japanese ISP's customers (idempotent).

The campaign retires IIJ's Post Office service in favour of Secure MX (the
contract's example, docs/campaign-file.md, with its dates moved relative to
today: the end date a few months ahead, the cleanup date after it), 5 sales reps
and one ops user with Japanese names, one admin, ~300 Japanese businesses with
~400 domains in every status, each reached through the real workflow (so the
audit log is real). Domains are under the reserved `.example` TLD (RFC 2606),
so a sweep of the demo never queries a real name. Running it again adds only
what is missing (the campaign's dates stay as first seeded).
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from customers.choices import MigrationStatus
from customers.models import Customer, Domain
from customers.roles import OPS_GROUP, REPS_GROUP
from tracker.models import Campaign
from tracker.probe.domains import normalize_domain

DEMO_PASSWORD = "demo-password-1"
SEED = 20220930
# The demo campaign's milestones, in days from the day the demo is seeded.
DAYS_TO_END = 120
DAYS_END_TO_CLEANUP = 45
DAYS_SINCE_INTERNAL_ANNOUNCEMENT = 60
DAYS_SINCE_CUSTOMER_ANNOUNCEMENT = 45


def post_office(today: dt.date) -> dict:
    """The contract's example campaign under the services' Japanese names, dated from `today`.

    The address and successor details the example leaves empty are filled in with
    documentation-only values (RFC 5737, RFC 2606), so the demo can show
    on-successor checks and address references.
    """
    end = today + dt.timedelta(days=DAYS_TO_END)
    return {
        "slug": "post-office",
        "name": "IIJポストオフィスサービスからIIJセキュアMXサービスへの移行",
        "legacy": {
            "name": "IIJポストオフィスサービス",
            "mx_hosts": ["*.po.2iij.net"],
            "spf_includes": ["spf.po.2iij.net"],
            "ip_ranges": ["192.0.2.0/24"],
            "outbound_ips": ["192.0.2.25"],
            # Its other servers (POP/IMAP/submission/webmail) and the mail domain of its mailboxes:
            # the demo shows client settings and DMARC report addresses left on the old service.
            "hosts": ["*.po.2iij.net"],
            "mail_domains": ["po.2iij.net"],
        },
        "successor": {
            "name": "IIJセキュアMXサービス",
            "mx_hosts": ["*.securemx.example"],
            "spf_includes": ["spf.securemx.example"],
            "ip_ranges": ["198.51.100.0/24"],
            "outbound_ips": ["198.51.100.25"],
            "dkim_selectors": ["smx1"],
            "hosts": ["*.securemx.example"],
            "client_hosts": {
                "imap": "imap.securemx.example",
                "pop3": "pop.securemx.example",
                "submission": "smtp.securemx.example",
                "webmail": "webmail.securemx.example",
            },
            "dmarc_rua": ["mailto:dmarc-reports@securemx.example"],
        },
        "end_date": end.isoformat(),
        "cleanup_date": (end + dt.timedelta(days=DAYS_END_TO_CLEANUP)).isoformat(),
    }


def milestones(today: dt.date) -> dict:
    return {
        "internal_announcement_date": today - dt.timedelta(days=DAYS_SINCE_INTERNAL_ANNOUNCEMENT),
        "customer_announcement_date": today - dt.timedelta(days=DAYS_SINCE_CUSTOMER_ANNOUNCEMENT),
    }


# (username, given name, family name)
REPS = [
    ("rep1", "花子", "佐藤"),
    ("rep2", "健太", "鈴木"),
    ("rep3", "美咲", "高橋"),
    ("rep4", "大輔", "田中"),
    ("rep5", "由紀", "伊藤"),
]

# (name part, its romanisation for the domain)
_PREFIXES = [
    ("さくら", "sakura"),
    ("富士", "fuji"),
    ("みどり", "midori"),
    ("青空", "aozora"),
    ("北斗", "hokuto"),
    ("東海", "tokai"),
    ("瀬戸内", "setouchi"),
    ("大和", "yamato"),
    ("若葉", "wakaba"),
    ("朝日", "asahi"),
    ("光", "hikari"),
    ("星野", "hoshino"),
    ("川口", "kawaguchi"),
    ("松本", "matsumoto"),
    ("山田", "yamada"),
    ("中村", "nakamura"),
    ("小林", "kobayashi"),
    ("加藤", "kato"),
    ("吉田", "yoshida"),
    ("森", "mori"),
    ("日本橋", "nihonbashi"),
    ("信州", "shinshu"),
    ("みなと", "minato"),
    ("ひまわり", "himawari"),
    ("かえで", "kaede"),
    ("つばさ", "tsubasa"),
    ("明星", "myojo"),
    ("白鳥", "hakucho"),
    ("紅葉", "momiji"),
    ("錦", "nishiki"),
    ("琵琶湖", "biwako"),
    ("阿蘇", "aso"),
    ("那須", "nasu"),
    ("湘南", "shonan"),
]
_TRADES = [
    ("物流", "logistics"),
    ("歯科医院", "dental"),
    ("製菓", "seika"),
    ("設計事務所", "sekkei"),
    ("コンサルティング", "consulting"),
    ("印刷", "insatsu"),
    ("法律事務所", "law"),
    ("クリニック", "clinic"),
    ("精機", "seiki"),
    ("繊維", "textile"),
    ("食品", "foods"),
    ("トラベル", "travel"),
    ("会計事務所", "kaikei"),
    ("自動車", "motors"),
    ("薬局", "pharmacy"),
    ("不動産", "realty"),
    ("工務店", "komuten"),
    ("製作所", "works"),
    ("陶器", "toki"),
    ("酒造", "shuzo"),
    ("眼鏡", "megane"),
    ("研究所", "labs"),
    ("保険サービス", "hoken"),
    ("農園", "farm"),
]
# Where the legal form stands: before (株式会社さくら物流) or after (さくら物流株式会社) the name.
_FORMS = [
    ("株式会社", "before"),
    ("株式会社", "after"),
    ("有限会社", "after"),
    ("合同会社", "after"),
    ("一般社団法人", "before"),
    ("", "none"),
]
_CONTACT_FAMILY = "佐々木 山本 井上 木村 林 清水 山崎 池田 阿部 橋本 石川 前田 藤田 岡田 後藤 長谷川".split()
_CONTACT_GIVEN = "翔太 陽菜 大翔 結衣 蓮 美咲 健一 真由美 浩二 恵子 拓也 彩 誠 愛 直樹 優子".split()

# How the demo spreads over the workflow, and a path through it to each status.
_STATUS_WEIGHTS = {
    MigrationStatus.NOT_CONTACTED: 22,
    MigrationStatus.CONTACTED: 20,
    MigrationStatus.SCHEDULED: 14,
    MigrationStatus.MIGRATING: 10,
    MigrationStatus.MIGRATED: 24,
    MigrationStatus.LEAVING: 5,
    MigrationStatus.UNREACHABLE: 5,
}
_PATHS = {
    MigrationStatus.NOT_CONTACTED: [],
    MigrationStatus.CONTACTED: ["contacted"],
    MigrationStatus.SCHEDULED: ["contacted", "scheduled"],
    MigrationStatus.MIGRATING: ["contacted", "scheduled", "migrating"],
    MigrationStatus.MIGRATED: ["contacted", "scheduled", "migrating", "migrated"],
    MigrationStatus.LEAVING: ["contacted", "leaving"],
    MigrationStatus.UNREACHABLE: ["unreachable"],
}
_NOTES = {
    "contacted": ["電話とメールでサービス終了のご案内をしました。", "情報システム担当の方と話しました。"],
    "scheduled": ["委託先のIT業者と切り替え日を決めました。", "月末の締め処理の後に切り替える予定です。"],
    "migrating": ["MXは切り替え済み、SPFはこれから更新します。", "メールボックスを順に移行中です。"],
    "migrated": [
        "セキュアMX経由でメールが届いているとお客様が確認済みです。",
        "完了。旧サービスのincludeも削除済み。",
    ],
    "leaving": ["他社へ移られます。DNSの後片付けをお願いしました。", "第3四半期で契約終了です。"],
    "unreachable": ["3回電話し2回メールしましたが応答がありません。", "ご担当者が退職されました。"],
}


def company_name(prefix: str, trade: str, form: str, place: str) -> str:
    if place == "before":
        return f"{form}{prefix}{trade}"
    if place == "after":
        return f"{prefix}{trade}{form}"
    return f"{prefix}{trade}"


class Command(BaseCommand):
    help = "Create the demo data set (campaign, reps, ops, admin, customers, domains). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=300, help="how many customers (default 300)")

    @transaction.atomic
    def handle(self, *args, customers, **options):
        rng = random.Random(SEED)
        self.campaign()
        reps = [self.user(username, first, last, REPS_GROUP) for username, first, last in REPS]
        self.user("ops", "直美", "渡辺", OPS_GROUP)
        self.user("admin", "Admin", "", None, superuser=True)
        created = self.customers(rng, reps, customers)
        self.stdout.write(
            f"Demo ready: {Customer.objects.count()} customers ({created} new), "
            f"{Domain.objects.count()} domains, campaign 'post-office'."
        )
        self.stdout.write(f"Logins (password {DEMO_PASSWORD!r}): ops, rep1 ... rep5, admin (also /admin/).")

    def campaign(self) -> Campaign:
        today = timezone.localdate()
        campaign = Campaign.objects.filter(slug="post-office").first()
        if campaign is None:
            campaign, _ = Campaign.from_contract(post_office(today))
            for name, value in milestones(today).items():
                setattr(campaign, name, value)
            campaign.save()
        return campaign

    def user(self, username, first, last, group_name, superuser=False):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@provider.example",
                "is_staff": superuser,
                "is_superuser": superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if group_name:
            user.groups.add(Group.objects.get_or_create(name=group_name)[0])
        return user

    def customers(self, rng: random.Random, reps, count: int) -> int:
        statuses = list(_STATUS_WEIGHTS)
        weights = list(_STATUS_WEIGHTS.values())
        existing = set(Customer.objects.values_list("account_id", flat=True))
        taken_domains = set(Domain.objects.values_list("name", flat=True))
        campaign = Campaign.objects.get(slug="post-office")
        announced = timezone.make_aware(dt.datetime.combine(campaign.customer_announcement_date, dt.time(9)))
        created = 0
        for number in range(1, count + 1):
            # Draw every random value whether or not the customer exists, so reruns stay deterministic.
            (prefix, prefix_romaji), (trade, trade_romaji) = rng.choice(_PREFIXES), rng.choice(_TRADES)
            form, place = rng.choice(_FORMS)
            name = company_name(prefix, trade, form, place)
            rep = rng.choice(reps)
            status = rng.choices(statuses, weights)[0]
            family, given = rng.choice(_CONTACT_FAMILY), rng.choice(_CONTACT_GIVEN)
            contact = f"{family} {given}"
            extra_domains = rng.choices([0, 1, 2], [70, 25, 5])[0]
            notice_offset = dt.timedelta(days=rng.randint(0, 40), minutes=rng.randint(0, 600))
            note_picks = [rng.randint(0, 1) for _ in range(4)]
            account_id = f"PO-{10000 + number}"
            if account_id in existing:
                continue
            domains = self.domain_names(
                f"{prefix_romaji}-{trade_romaji}", number, extra_domains, taken_domains
            )
            if trade_romaji in ("seika", "shuzo"):
                # A few Japanese domain names (stored as A-labels like any other).
                domains += self.domain_names(f"{prefix}{trade}", number, 0, taken_domains)
            customer = Customer.objects.create(
                name=name,
                account_id=account_id,
                rep=rep,
                contact_name=contact,
                contact_email=f"info@{domains[0]}",
                notice_sent_at=announced + notice_offset if status != MigrationStatus.NOT_CONTACTED else None,
            )
            for domain in domains:
                Domain.objects.create(customer=customer, name=domain)
            for step, pick in zip(_PATHS[status], note_picks, strict=False):
                customer.change_status(step, by=rep, note=_NOTES[step][pick])
            created += 1
        return created

    @staticmethod
    def domain_names(base: str, number: int, extra: int, taken: set) -> list[str]:
        candidates = [f"{base}.example", f"{base}-mail.example", f"{base}.co.example"][: 1 + extra]
        names = []
        for candidate in candidates:
            name = normalize_domain(candidate)
            if name in taken:
                name = normalize_domain(candidate.replace(".example", f"-{number}.example", 1))
            taken.add(name)
            names.append(name)
        return names
