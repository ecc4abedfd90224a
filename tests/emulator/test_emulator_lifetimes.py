"""Mode long-lived (REFERENCE.md §16 item 4): conversations open for days, re-opened after they
ended, wrap-ups arriving late — and the default mode unchanged, byte for byte."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator
from gcexport.emulator.wire import DAY_MS, iso_to_ms, to_ms
from tests.emulator.conftest import DAY, NOW, login, make_config
from tests.emulator.test_emulator_sdk_oracle import unknown_keys

sdk = pytest.importorskip("PureCloudPlatformClientV2")

LONG = ("long-lived",)
DAY_START = to_ms(NOW) - to_ms(NOW) % DAY_MS - DAY_MS  # 2026-03-03


def _emulator(at_days: float, modes: tuple[str, ...] = LONG) -> Emulator:
    clock = FakeClock(NOW + timedelta(days=at_days))
    return Emulator(make_config(modes=modes, cached_days=20), clock=clock)


def _day(emu: Emulator) -> Any:
    return emu.backend.dataset.day(DAY_START)


def test_default_mode_is_unchanged_and_long_lived_changes_only_some() -> None:
    plain, long = _day(_emulator(0, ())), _day(_emulator(0))
    assert plain.ids == long.ids and plain.starts == long.starts
    changed = [
        i for i, (a, b) in enumerate(zip(plain.records, long.records, strict=True)) if a != b
    ]
    assert plain.versions == {} and 0 < len(changed) < len(plain.ids) // 10
    later = [i for i in changed if long.ends[i] - plain.ends[i] >= DAY_MS]
    late_wrapups = [i for i in long.versions if long.ends[i] == plain.ends[i]]
    reopened = [i for i in long.versions if long.ends[i] > plain.ends[i]]
    assert later and late_wrapups and reopened  # every kind drawn from a 400-conversation day
    assert set(later) == set(changed) and not set(late_wrapups) & set(changed)  # final unchanged


def _views(emu: Emulator, index: int) -> dict[str, Any]:
    day = _day(emu)
    with httpx.Client(transport=emu.transport(), base_url="https://api.emulated.test") as http:
        login(http, emu.config)
        reply = http.get(f"/api/v2/analytics/conversations/{day.ids[index]}/details")
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body


def _wrapups(conversation: dict[str, Any]) -> int:
    return sum(
        "wrapUpCode" in seg
        for p in conversation["participants"]
        for s in p["sessions"]
        for seg in s["segments"]
    )


def test_a_reopened_conversation_ends_then_reopens_then_ends_later() -> None:
    day = _day(_emulator(0))
    index = next(i for i, v in day.versions.items() if day.ends[i] > v.end)
    early, final = day.versions[index], day.ends[index]
    at = (early.end + early.until) / 2 - to_ms(NOW)  # between the first end and the reply
    first = _views(_emulator(at / DAY_MS), index)
    assert iso_to_ms(first["conversationEnd"]) == early.end
    reopened = _views(_emulator((early.until + 1 - to_ms(NOW)) / DAY_MS), index)
    assert "conversationEnd" not in reopened  # open again: the reply is being handled
    assert len(reopened["participants"]) == len(first["participants"]) + 1
    done = _views(_emulator((final + 1 - to_ms(NOW)) / DAY_MS), index)
    assert iso_to_ms(done["conversationEnd"]) == final > early.end + DAY_MS


def test_a_late_wrapup_is_missing_until_it_arrives() -> None:
    day = _day(_emulator(0))
    index = next(i for i, v in day.versions.items() if day.ends[i] == v.end)
    version = day.versions[index]
    before = _views(_emulator((version.until - 1 - to_ms(NOW)) / DAY_MS), index)
    after = _views(_emulator((version.until - to_ms(NOW)) / DAY_MS), index)
    assert before["conversationEnd"] == after["conversationEnd"]
    assert _wrapups(before) == 0 < _wrapups(after)


def _job_ids(emu: Emulator, *, start_of_day: bool) -> set[str]:
    with httpx.Client(transport=emu.transport(), base_url="https://api.emulated.test") as http:
        login(http, emu.config)
        body = {"interval": DAY, "startOfDayIntervalMatching": start_of_day}
        job = http.post("/api/v2/analytics/conversations/details/jobs", json=body).json()
        ids: set[str] = set()
        cursor = ""
        while True:
            emu.backend.clock.sleep(5)
            page = http.get(
                f"/api/v2/analytics/conversations/details/jobs/{job['jobId']}/results",
                params={"cursor": cursor} if cursor else {},
            ).json()
            ids |= {c["conversationId"] for c in page.get("conversations", [])}
            cursor = page.get("cursor", "")
            if not cursor:
                return ids


def test_jobs_overlap_weeks_back_unless_start_of_day_matching() -> None:
    emu = _emulator(6)  # the watermark is past 2026-03-03 and past many replies
    overlap, start_of_day = _job_ids(emu, start_of_day=False), _job_ids(emu, start_of_day=True)
    own = set(_day(emu).ids)
    assert start_of_day <= own and start_of_day < overlap
    older = overlap - own  # started days before 2026-03-03, still open on it
    tags = {emu.backend.dataset.find(cid, emu.backend.now_ms())[0].day_start for cid in older}  # type: ignore[index]
    assert min(tags) < DAY_START - 2 * DAY_MS  # long-lived: more than the usual one day back


def test_long_lived_shapes_pass_the_sdk_models() -> None:
    emu = _emulator(1)
    day = _day(emu)
    for index in list(day.versions)[:5]:
        raw = _views(emu, index)
        model = sdk.ApiClient()._ApiClient__deserialize(
            raw, "AnalyticsConversationWithoutAttributes"
        )
        assert model.conversation_id == raw["conversationId"]
        assert unknown_keys(raw, "AnalyticsConversationWithoutAttributes") == []
