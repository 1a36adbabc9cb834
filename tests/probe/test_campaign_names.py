"""Host names in a campaign file are normalised like customer domains: IDNA 2008 (UTS 46)."""

import pytest

from tracker.probe.campaign import Campaign, CampaignError
from tracker.probe.domains import normalize_hostname


def campaign_with(mx_hosts):
    return Campaign.from_dict(
        {
            "slug": "po",
            "name": "Post Office",
            "legacy": {"name": "PO", "mx_hosts": mx_hosts, "spf_includes": ["spf.po.example"]},
            "successor": {"name": "SMX"},
            "end_date": "2027-03-31",
            "cleanup_date": None,
        }
    )


def test_a_german_sharp_s_is_kept_as_idna_2008_has_it():
    # IDNA 2003 (Python's "idna" codec) maps ß to ss: strasse.de, a different domain.
    assert campaign_with(["mx.straße.de"]).legacy.mx_hosts == ("mx.xn--strae-oqa.de",)


def test_full_width_host_names_are_mapped():
    assert campaign_with(["*.ｐｏ．ｅｘａｍｐｌｅ"]).legacy.mx_hosts == ("*.po.example",)


def test_the_same_normaliser_serves_customer_domains_and_campaign_hosts():
    assert normalize_hostname("MX.Straße.DE.") == "mx.xn--strae-oqa.de"


def test_a_bad_host_name_names_its_field():
    with pytest.raises(CampaignError) as error:
        campaign_with(["mx..example"])
    assert error.value.field == "legacy.mx_hosts[0]"
