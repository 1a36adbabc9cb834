"""Domain names: one normaliser (tracker.probe.domains) used by the model."""

import pytest
from django.core.exceptions import ValidationError

from customers.models import Domain
from tests.factories import CustomerFactory
from tracker.probe.domains import DomainNameError, normalize_domain


@pytest.mark.parametrize(
    "given,stored",
    [
        ("example.com", "example.com"),
        ("Example.COM.", "example.com"),
        ("  acme.example ", "acme.example"),
        ("例え.jp", "xn--r8jz45g.jp"),
        ("例え。ＪＰ", "xn--r8jz45g.jp"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("xn--r8jz45g.jp", "xn--r8jz45g.jp"),
        ("_spf.example.com", "_spf.example.com"),
        ("mail.acme.co.uk", "mail.acme.co.uk"),
    ],
)
def test_it_normalises(given, stored):
    assert normalize_domain(given) == stored


@pytest.mark.parametrize(
    "given,message",
    [
        ("foo..bar", "empty label"),
        (".example.com", "empty label"),
        ("a" * 300, "300 characters long"),
        (("a" * 63 + ".") * 4 + "com", "at most 253"),
        ("x" * 64 + ".com", "at most 63"),
        ("foo bar.com", "spaces"),
        ("ex_ample.com", "underscores are not allowed in the registrable domain 'ex_ample.com'"),
        ("mail.ex_ample.com", "underscores"),
        ("-acme.example", "inner hyphens"),
        ("acme!.example", "letters, digits"),
        ("xn--zz.com", "not a valid A-label"),
        ("com", "at least two labels"),
        ("co.uk", "public suffix"),
        ("", "empty"),
    ],
)
def test_it_rejects_bad_names_saying_why(given, message):
    with pytest.raises(DomainNameError) as excinfo:
        normalize_domain(given)
    assert message in str(excinfo.value)
    assert len(str(excinfo.value)) < 300


def test_the_model_stores_the_a_label(db):
    domain = Domain.objects.create(customer=CustomerFactory(), name="例え.JP")
    assert Domain.objects.get(pk=domain.pk).name == "xn--r8jz45g.jp"


def test_model_validation_reports_the_field(db):
    domain = Domain(customer=CustomerFactory(), name="foo..bar")
    with pytest.raises(ValidationError) as excinfo:
        domain.full_clean()
    assert "empty label" in excinfo.value.message_dict["name"][0]


def test_a_domain_is_unique_whatever_its_spelling(db):
    Domain.objects.create(customer=CustomerFactory(), name="xn--r8jz45g.jp")
    with pytest.raises(ValidationError) as excinfo:
        Domain(customer=CustomerFactory(), name="例え.jp").full_clean()
    assert "name" in excinfo.value.message_dict
