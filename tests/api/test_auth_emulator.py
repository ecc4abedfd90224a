"""Token lifecycle against the emulator: one token for many calls, renewed on expiry and after revocation."""

from __future__ import annotations

from typing import Any

from gcexport.api import lookups


def token_calls(org: Any) -> int:
    return sum(1 for r in org.emulator.requests if r.path == "/oauth/token")


def walk_queues(org: Any) -> int:
    return sum(len(page.items) for page in lookups.iter_queues(org.client, page_size=5))


def test_one_token_for_many_calls(make_org: Any) -> None:
    org = make_org()
    for _ in range(5):
        assert walk_queues(org) > 0
    assert token_calls(org) == 1
    assert org.client.tokens_fetched == 1
    assert len(org.api_records()) > 10


def test_token_renewed_after_expiry(make_org: Any) -> None:
    org = make_org(token_lifetime=600)
    walk_queues(org)
    org.clock.advance(601)
    walk_queues(org)
    assert token_calls(org) == 2
    assert all(r.status != 401 for r in org.emulator.requests)  # renewed before it ran out


def test_token_renewed_after_revocation(make_org: Any) -> None:
    org = make_org()
    walk_queues(org)
    org.emulator.revoke_tokens()
    assert walk_queues(org) > 0
    assert token_calls(org) == 2
    assert [r.status for r in org.emulator.requests].count(401) == 1
