"""factory_boy factories for the foundation models (users by role, customers, domains, campaigns)."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from customers.choices import MigrationStatus
from customers.models import Customer, Domain
from customers.roles import OPS_GROUP, REPS_GROUP
from tracker.models import Campaign

PASSWORD = "test-password-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@provider.example")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def groups_by_name(self, create, names, **kwargs):
        """`UserFactory(groups_by_name=["ops"])`: add the user to these groups."""
        if create:
            _join(self, names or ())


def _join(user, names) -> None:
    for name in names:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    user.save()


class RepFactory(UserFactory):
    username = factory.Sequence(lambda n: f"rep{n}")
    groups_by_name = factory.PostGeneration(
        lambda user, create, extracted, **kw: create and _join(user, [REPS_GROUP])
    )


class OpsFactory(UserFactory):
    username = factory.Sequence(lambda n: f"ops{n}")
    groups_by_name = factory.PostGeneration(
        lambda user, create, extracted, **kw: create and _join(user, [OPS_GROUP])
    )


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    account_id = factory.Sequence(lambda n: f"ACC-{n:05d}")
    rep = factory.SubFactory(RepFactory)
    contact_name = "Pat Example"
    contact_email = factory.LazyAttribute(lambda c: f"it@{c.account_id.lower()}.example")
    status = MigrationStatus.NOT_CONTACTED


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"domain{n}.example")


def post_office_contract(**overrides) -> dict:
    """The campaign JSON of docs/campaign-file.md."""
    data = {
        "slug": "post-office",
        "name": "Post Office to Secure MX",
        "legacy": {
            "name": "Post Office",
            "mx_hosts": ["*.po.2iij.net"],
            "spf_includes": ["spf.po.2iij.net"],
            "ip_ranges": [],
            "outbound_ips": [],
        },
        "successor": {
            "name": "Secure MX",
            "mx_hosts": [],
            "spf_includes": [],
            "ip_ranges": [],
            "outbound_ips": [],
            "dkim_selectors": [],
        },
        "end_date": "2022-09-30",
        "cleanup_date": None,
    }
    data.update(overrides)
    return data


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        django_get_or_create = ("slug",)

    slug = "post-office"
    name = "Post Office to Secure MX"
    legacy = factory.LazyFunction(lambda: post_office_contract()["legacy"])
    successor = factory.LazyFunction(lambda: post_office_contract()["successor"])
    end_date = dt.date(2022, 9, 30)
    cleanup_date = None
