"""Every Genesys region resolves from its SDK key, AWS-style name and domain (REFERENCE.md §1.1)."""

from __future__ import annotations

import pytest

from gcexport.errors import ConfigError
from gcexport.regions import REGIONS, resolve_region

EXPECTED = {
    "us_east_1": ("https://api.mypurecloud.com", "https://login.mypurecloud.com"),
    "us_east_2": ("https://api.use2.us-gov-pure.cloud", "https://login.use2.us-gov-pure.cloud"),
    "us_west_2": ("https://api.usw2.pure.cloud", "https://login.usw2.pure.cloud"),
    "ca_central_1": ("https://api.cac1.pure.cloud", "https://login.cac1.pure.cloud"),
    "sa_east_1": ("https://api.sae1.pure.cloud", "https://login.sae1.pure.cloud"),
    "mx_central_1": ("https://api.mxc1.pure.cloud", "https://login.mxc1.pure.cloud"),
    "eu_west_1": ("https://api.mypurecloud.ie", "https://login.mypurecloud.ie"),
    "eu_west_2": ("https://api.euw2.pure.cloud", "https://login.euw2.pure.cloud"),
    "eu_central_1": ("https://api.mypurecloud.de", "https://login.mypurecloud.de"),
    "eu_central_2": ("https://api.euc2.pure.cloud", "https://login.euc2.pure.cloud"),
    "eusc_de_east_1": ("https://api.edee1.eusc-pure.cloud", "https://login.edee1.eusc-pure.cloud"),
    "me_central_1": ("https://api.mec1.pure.cloud", "https://login.mec1.pure.cloud"),
    "ap_south_1": ("https://api.aps1.pure.cloud", "https://login.aps1.pure.cloud"),
    "ap_southeast_1": ("https://api.apse1.pure.cloud", "https://login.apse1.pure.cloud"),
    "ap_southeast_2": ("https://api.mypurecloud.com.au", "https://login.mypurecloud.com.au"),
    "ap_northeast_1": ("https://api.mypurecloud.jp", "https://login.mypurecloud.jp"),
    "ap_northeast_2": ("https://api.apne2.pure.cloud", "https://login.apne2.pure.cloud"),
    "ap_northeast_3": ("https://api.apne3.pure.cloud", "https://login.apne3.pure.cloud"),
}


def test_the_table_has_all_18_regions() -> None:
    assert len(REGIONS) == 18
    assert set(REGIONS) == set(EXPECTED)


@pytest.mark.parametrize("key", sorted(EXPECTED))
@pytest.mark.parametrize("form", ["sdk", "aws", "domain", "api-host", "login-url"])
def test_region_resolves_from_every_form(key: str, form: str) -> None:
    api, login = EXPECTED[key]
    domain = api.removeprefix("https://api.")
    spelled = {
        "sdk": key,
        "aws": key.replace("_", "-"),
        "domain": domain,
        "api-host": f"api.{domain}",
        "login-url": f"{login}/",
    }[form]
    region = resolve_region(spelled)
    assert (region.key, region.api_url, region.login_url) == (key, api, login)


def test_region_matching_ignores_case_and_spaces() -> None:
    assert resolve_region("  EU-West-1 ").domain == "mypurecloud.ie"


@pytest.mark.parametrize("bad", ["mars", "us_east_9", "pure.cloud", "", "api.example.com"])
def test_unknown_region_lists_valid_ones(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_region(bad)
    message = str(info.value)
    assert f"Unknown Genesys region {bad!r}" in message
    assert "us_east_1" in message and "ap_northeast_3" in message
