"""The HTTP client for Genesys Cloud: client-credentials auth, retries, one shared request budget.

Example::

    from gcexport.client import GenesysClient
    with GenesysClient(api_url="https://api.mypurecloud.ie", login_url="https://login.mypurecloud.ie",
                       client_id=cid, client_secret=SecretStr(secret)) as client:
        page = client.request("GET", "/api/v2/routing/queues", items_key="entities")
"""

from __future__ import annotations

from gcexport.client.budget import RequestBudget
from gcexport.client.http import GenesysClient
from gcexport.client.records import Page, PageContext, RequestRecord, RetryPolicy

__all__ = ["GenesysClient", "Page", "PageContext", "RequestBudget", "RequestRecord", "RetryPolicy"]
