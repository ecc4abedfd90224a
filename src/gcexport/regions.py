"""Genesys Cloud regions and the API / login hosts each one resolves to (REFERENCE.md §1.1).

Example::

    >>> resolve_region("eu-west-1").login_url
    'https://login.mypurecloud.ie'
"""

from __future__ import annotations

from dataclasses import dataclass

from gcexport.errors import ConfigError

__all__ = ["REGIONS", "Region", "resolve_region"]

# SDK region key -> domain; API host is api.<domain>, login host is login.<domain> (§1.1).
REGIONS: dict[str, str] = {
    "us_east_1": "mypurecloud.com",
    "us_east_2": "use2.us-gov-pure.cloud",
    "us_west_2": "usw2.pure.cloud",
    "ca_central_1": "cac1.pure.cloud",
    "sa_east_1": "sae1.pure.cloud",
    "mx_central_1": "mxc1.pure.cloud",
    "eu_west_1": "mypurecloud.ie",
    "eu_west_2": "euw2.pure.cloud",
    "eu_central_1": "mypurecloud.de",
    "eu_central_2": "euc2.pure.cloud",
    "eusc_de_east_1": "edee1.eusc-pure.cloud",
    "me_central_1": "mec1.pure.cloud",
    "ap_south_1": "aps1.pure.cloud",
    "ap_southeast_1": "apse1.pure.cloud",
    "ap_southeast_2": "mypurecloud.com.au",
    "ap_northeast_1": "mypurecloud.jp",
    "ap_northeast_2": "apne2.pure.cloud",
    "ap_northeast_3": "apne3.pure.cloud",
}


@dataclass(frozen=True)
class Region:
    """A resolved region: its SDK key, domain, and the two base URLs."""

    key: str
    domain: str

    @property
    def api_url(self) -> str:
        return f"https://api.{self.domain}"

    @property
    def login_url(self) -> str:
        return f"https://login.{self.domain}"


def _normalise(value: str) -> str:
    text = value.strip().lower()
    for prefix in ("https://", "http://"):
        text = text.removeprefix(prefix)
    text = text.rstrip("/")
    for host_prefix in ("api.", "login."):
        text = text.removeprefix(host_prefix)
    return text


def resolve_region(value: str) -> Region:
    """Resolve an SDK key (`us_east_1`), an AWS-style name (`us-east-1`) or a domain (`mypurecloud.ie`).

    Raises ConfigError naming the valid regions when nothing matches.
    """
    text = _normalise(value)
    key = text.replace("-", "_")
    if key in REGIONS:
        return Region(key, REGIONS[key])
    for region_key, domain in REGIONS.items():
        if text == domain:
            return Region(region_key, domain)
    valid = ", ".join(REGIONS)
    raise ConfigError(
        f"Unknown Genesys region {value!r}; use one of {valid} "
        "(or its AWS-style name like us-east-1, or a domain like mypurecloud.ie)."
    )
