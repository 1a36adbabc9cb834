"""The shared cast: a rep who owns a customer, a fellow rep who must not see it, ops, an admin.

Every permission rule is tested against the same people:
- `rep` owns `customer`; `other_rep` owns `other_customer` (an outsider to `customer`);
- `ops_user` sees and edits everything but the Django admin; `superuser` is an admin.
"""

import pytest

from tests.factories import AdminFactory, CustomerFactory, DomainFactory, OpsFactory, RepFactory


@pytest.fixture
def rep(db):
    return RepFactory(username="alice", first_name="Alice", last_name="Archer")


@pytest.fixture
def other_rep(db):
    return RepFactory(username="bob", first_name="Bob", last_name="Baker")


@pytest.fixture
def ops_user(db):
    return OpsFactory(username="olga")


@pytest.fixture
def superuser(db):
    return AdminFactory(username="root")


@pytest.fixture
def customer(rep):
    customer = CustomerFactory(name="Acme Widgets", account_id="ACC-1001", rep=rep)
    DomainFactory(customer=customer, name="acme.example")
    return customer


@pytest.fixture
def other_customer(other_rep):
    customer = CustomerFactory(name="Bobcat Logistics", account_id="ACC-2002", rep=other_rep)
    DomainFactory(customer=customer, name="bobcat.example")
    return customer


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client


@pytest.fixture
def ops_client(client, ops_user):
    client.force_login(ops_user)
    return client


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Real hashing costs ~0.5 s per user; tests don't need it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def plain_http(settings):
    """The test client speaks plain HTTP, like a TLS proxy's backend: no redirect to https."""
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Pages render without `collectstatic`: the manifest storage needs its manifest file."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def fresh_cache():
    """Dashboard figures are cached per process: every test starts from the database alone."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def english_in_utc(settings):
    """Tests read English text and UTC clocks unless they ask for Japanese (tests/i18n)."""
    settings.LANGUAGE_CODE = "en"
    settings.TIME_ZONE = "UTC"
