"""`manage.py seed_demo`: a realistic, deterministic demo (idempotent).

The Post Office campaign of the contract's example (docs/campaign-file.md) plus its milestones, 5 sales
reps, one ops user, one admin, ~300 customers with ~400 domains in every
status, each reached through the real workflow (so the audit log is real).
Domains are under the reserved `.example` TLD (RFC 2606), so a sweep of the
demo never queries a real name. Running it again adds only what is missing.
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

POST_OFFICE = {
    "slug": "post-office",
    "name": "Post Office to Secure MX",
    # The contract's example campaign, with the address and successor details it
    # leaves empty filled in with documentation-only values (RFC 5737, RFC 2606),
    # so the demo can show on-successor checks and address references.
    "legacy": {
        "name": "Post Office",
        "mx_hosts": ["*.po.2iij.net"],
        "spf_includes": ["spf.po.2iij.net"],
        "ip_ranges": ["192.0.2.0/24"],
        "outbound_ips": ["192.0.2.25"],
    },
    "successor": {
        "name": "Secure MX",
        "mx_hosts": ["*.securemx.example"],
        "spf_includes": ["spf.securemx.example"],
        "ip_ranges": ["198.51.100.0/24"],
        "outbound_ips": ["198.51.100.25"],
        "dkim_selectors": ["smx1"],
    },
    "end_date": "2022-09-30",
    "cleanup_date": None,
}
MILESTONES = {
    "internal_announcement_date": dt.date(2022, 5, 9),
    "customer_announcement_date": dt.date(2022, 6, 1),
}

REPS = [
    ("rep1", "Hana", "Sato"),
    ("rep2", "Marco", "Rossi"),
    ("rep3", "Aisha", "Khan"),
    ("rep4", "Lars", "Nilsson"),
    ("rep5", "Yuki", "Tanaka"),
]

_PREFIXES = (
    "Northwind Harbor Summit Bluebird Cedar Granite Lakeside Maple Orchid Pioneer Redwood Silverline "
    "Sunrise Tidewater Alder Beacon Copper Evergreen Falcon Highland Ironbridge Juniper Keystone Lumen "
    "Meridian Oakridge Pinecrest Quarry Riverbend Sakura Tanuki Fujimi Kawa Midori Hoshi Aozora"
).split()
_TRADES = (
    "Logistics Dental Bakery Architects Consulting Printing Legal Clinic Robotics Textiles Foods Travel "
    "Accounting Motors Pharmacy Realty Studio Engineering Ceramics Brewing Optics Labs Insurance Farms"
).split()
_FORMS = ["Ltd", "Inc.", "K.K.", "GmbH", "LLC", "& Co.", "Co., Ltd.", ""]
_CONTACTS = (
    "Akira Ben Chloe Daniel Emi Farid Grace Hiro Ines Jonas Kenji Lea Mina Noah Olivia Ravi Sara Taro".split()
)
_SURNAMES = (
    "Abe Brown Costa Dubois Endo Fischer Garcia Hayashi Ito Jensen Kato Lopez Mori Novak Ogawa Patel".split()
)

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
    "contacted": ["Sent the retirement notice by phone and email.", "Spoke to the IT contact."],
    "scheduled": ["Cut-over booked with their IT partner.", "Agreed a date after month-end close."],
    "migrating": ["MX switched, SPF still to update.", "Moving mailboxes in batches."],
    "migrated": ["Customer confirms mail flows via Secure MX.", "Done; legacy include removed."],
    "leaving": ["Moving to another provider; asked them to clean up DNS.", "Contract ends in Q3."],
    "unreachable": ["No answer to three calls and two emails.", "Contact left the company."],
}


def _slug(text: str) -> str:
    keep = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(part for part in keep.split("-") if part)


class Command(BaseCommand):
    help = "Create the demo data set (campaign, reps, ops, admin, customers, domains). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=300, help="how many customers (default 300)")

    @transaction.atomic
    def handle(self, *args, customers, **options):
        rng = random.Random(SEED)
        self.campaign()
        reps = [self.user(username, first, last, REPS_GROUP) for username, first, last in REPS]
        self.user("ops", "Olga", "Operations", OPS_GROUP)
        self.user("admin", "Ada", "Admin", None, superuser=True)
        created = self.customers(rng, reps, customers)
        self.stdout.write(
            f"Demo ready: {Customer.objects.count()} customers ({created} new), "
            f"{Domain.objects.count()} domains, campaign 'post-office'."
        )
        self.stdout.write(f"Logins (password {DEMO_PASSWORD!r}): ops, rep1 ... rep5, admin (also /admin/).")

    def campaign(self) -> Campaign:
        campaign = Campaign.objects.filter(slug=POST_OFFICE["slug"]).first()
        if campaign is None:
            campaign, _ = Campaign.from_contract(POST_OFFICE)
            for name, value in MILESTONES.items():
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
        announced = timezone.make_aware(
            dt.datetime.combine(MILESTONES["customer_announcement_date"], dt.time(9))
        )
        created = 0
        for number in range(1, count + 1):
            # Draw every random value whether or not the customer exists, so reruns stay deterministic.
            prefix, trade, form = rng.choice(_PREFIXES), rng.choice(_TRADES), rng.choice(_FORMS)
            name = f"{prefix} {trade} {form}".strip()
            rep = rng.choice(reps)
            status = rng.choices(statuses, weights)[0]
            contact = f"{rng.choice(_CONTACTS)} {rng.choice(_SURNAMES)}"
            extra_domains = rng.choices([0, 1, 2], [70, 25, 5])[0]
            notice_offset = dt.timedelta(days=rng.randint(0, 40), minutes=rng.randint(0, 600))
            note_picks = [rng.randint(0, 1) for _ in range(4)]
            account_id = f"PO-{10000 + number}"
            if account_id in existing:
                continue
            domains = self.domain_names(_slug(f"{prefix} {trade}"), number, extra_domains, taken_domains)
            if trade == "Bakery":
                # A few IDN domains (stored as A-labels like any other).
                domains += self.domain_names(f"bäckerei-{_slug(prefix)}", number, 0, taken_domains)
            customer = Customer.objects.create(
                name=name,
                account_id=account_id,
                rep=rep,
                contact_name=contact,
                contact_email=f"{contact.split()[0].lower()}@{domains[0]}",
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
