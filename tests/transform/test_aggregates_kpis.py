"""Aggregates → the long table; queue KPIs as Genesys defines them; custom KPIs in DuckDB."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pyarrow as pa
import pytest
from transform_support import load_sample

from gcexport.errors import ConfigError, DataError
from gcexport.transform import (
    TABLE_SCHEMAS,
    compute_queue_kpis,
    flatten_aggregates,
    flatten_queues,
    validate_kpi_expressions,
)

CUSTOM = {
    "talk_ratio": "avg_talk_ms / avg_handle_ms",
    "hold_ratio": "avg_hold_ms / avg_handle_ms",
    "efficiency": "100 - 50 * hold_ratio",
}


def _aggregates(name: str) -> pa.Table:
    return flatten_aggregates(
        load_sample(name)["results"],
        granularity=None,
        time_zone="UTC",
        group_by=["queueId", "mediaType"],
        query_name="q",
    )


def test_every_metric_of_the_sample_is_one_row_with_its_stats() -> None:
    body = load_sample("aggregates-response.all-metrics.splunk-mock.json")
    table = _aggregates("aggregates-response.all-metrics.splunk-mock.json")
    assert table.schema.equals(TABLE_SCHEMAS["conversation_aggregates"])
    expected = sum(len(d["metrics"]) for r in body["results"] for d in r["data"])
    assert table.num_rows == expected
    level = next(
        r
        for r in table.to_pylist()
        if r["metric"] == "oServiceLevel" and r["media_type"] == "callback"
    )
    assert (level["ratio"], level["numerator"], level["denominator"], level["target"]) == (
        0,
        0,
        4,
        0.8,
    )
    assert level["interval_start"] == datetime(2025, 3, 1, tzinfo=timezone.utc)
    assert level["interval_end"] == datetime(2025, 3, 12, 23, 59, 59, 999000, tzinfo=timezone.utc)


def test_uncommon_dimensions_and_unknown_stats_are_kept() -> None:
    results = [
        {
            "group": {"queueId": "q1", "mediaType": "voice", "ani": "tel:+15550001"},
            "data": [
                {
                    "interval": "2026-11-20T00:00:00+01:00/2026-11-20T01:00:00+01:00",
                    "metrics": [
                        {
                            "metric": "tHandle",
                            "qualifier": "x",
                            "stats": {"count": 2, "sum": 10, "p50": 4},
                        }
                    ],
                    "views": [{"name": "short", "stats": {"count": 1}}],
                }
            ],
        }
    ]
    rows = flatten_aggregates(
        results, granularity="PT1H", time_zone="Europe/Paris", group_by=[], query_name="q"
    ).to_pylist()
    assert [r["kind"] for r in rows] == ["metric", "view"]
    assert rows[0]["group_extra"] == '{"ani":"tel:+15550001"}'
    assert rows[0]["extra"] == '{"stats":{"p50":4}}'
    assert rows[0]["interval_start"] == datetime(2026, 11, 19, 23, tzinfo=timezone.utc)
    assert rows[1]["metric"] == "short" and rows[1]["count"] == 1


def test_a_bad_interval_is_a_data_error() -> None:
    with pytest.raises(DataError, match="interval"):
        flatten_aggregates(
            [{"data": [{"interval": "yesterday"}]}],
            granularity=None,
            time_zone="UTC",
            group_by=[],
            query_name="q",
        )


def test_queue_kpis_of_the_captured_sample() -> None:
    queues = flatten_queues(
        [{"id": "a26ca6cd-2d0c-4f3a-a397-0d38b1e57839", "name": "Chat Support"}]
    )
    kpis = compute_queue_kpis(
        _aggregates("aggregates-response.all-metrics.splunk-mock.json"), queues, custom_kpis=CUSTOM
    )
    message = next(r for r in kpis.to_pylist() if r["media_type"] == "message")
    assert message["queue_name"] == "Chat Support"
    assert (
        message["offered"],
        message["answered"],
        message["abandoned"],
        message["transferred"],
    ) == (10, 9, 0, 6)
    assert message["abandon_rate"] == 0.0
    assert message["service_level"] == pytest.approx(7 / 9)
    assert message["service_level_target"] == 0.8
    assert message["transfer_rate"] == pytest.approx(6 / 9)
    assert message["talk_ratio"] == pytest.approx(message["avg_talk_ms"] / message["avg_handle_ms"])
    assert message["efficiency"] == pytest.approx(
        100 - 50 * message["avg_hold_ms"] / message["avg_handle_ms"]
    )
    assert kpis.schema.names[-5:] == [
        "talk_ratio",
        "hold_ratio",
        "efficiency",
        "partition_date",
        "extra",
    ]


def test_a_queue_listed_twice_does_not_duplicate_kpi_rows() -> None:
    queue = {"id": "a26ca6cd-2d0c-4f3a-a397-0d38b1e57839", "name": "Chat Support"}
    queues = flatten_queues([queue, queue])
    kpis = compute_queue_kpis(
        _aggregates("aggregates-response.all-metrics.splunk-mock.json"), queues
    )
    assert kpis.num_rows == 4
    assert kpis.column("queue_id").to_pylist() == sorted(kpis.column("queue_id").to_pylist())


def test_zero_denominators_give_null_not_zero_or_nan() -> None:
    results = [
        {
            "group": {"queueId": "q", "mediaType": "voice"},
            "data": [
                {
                    "interval": "2026-11-20T00:00:00Z/2026-11-20T01:00:00Z",
                    "metrics": [{"metric": "nTransferred", "stats": {"count": 2}}],
                }
            ],
        }
    ]
    table = flatten_aggregates(
        results, granularity="PT1H", time_zone="UTC", group_by=[], query_name="q"
    )
    row = compute_queue_kpis(table, None, custom_kpis=CUSTOM).to_pylist()[0]
    assert row["offered"] == 0 and row["transferred"] == 2
    for name in (
        "abandon_rate",
        "avg_handle_ms",
        "service_level",
        "transfer_rate",
        "talk_ratio",
        "efficiency",
    ):
        assert row[name] is None, name


@pytest.mark.parametrize(
    ("custom", "message"),
    [
        ({"x": "no_such_column + 1"}, "custom KPI 'x' = 'no_such_column + 1': Binder Error"),
        ({"y": "avg_talk_ms +"}, "custom KPI 'y' = 'avg_talk_ms +': Parser Error"),
        ({"late": "early * 2", "early": "1"}, "custom KPI 'late'"),
        ({"Bad Name": "1"}, "custom KPI 'Bad Name': name must be"),
        ({"offered": "1"}, "custom KPI 'offered': name must be a new"),
        ({"z": "1; DROP TABLE kpis"}, "without ';'"),
    ],
)
def test_bad_custom_kpis_are_config_errors_naming_the_kpi(
    custom: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_kpi_expressions(custom)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_good_custom_kpis_validate() -> None:
    validate_kpi_expressions(CUSTOM)


# --- the emulator: KPIs from its aggregates equal KPIs computed here from its details ---------

DAY = datetime(2026, 11, 18, tzinfo=timezone.utc)
METRICS = [
    "nOffered",
    "tAnswered",
    "tAbandon",
    "tHandle",
    "tTalk",
    "tHeld",
    "tAcw",
    "nTransferred",
    "oServiceLevel",
]


def _emulator_aggregates() -> tuple[dict[str, Any], Any]:
    from gcexport.emulator import Emulator, EmulatorConfig

    emu = Emulator(EmulatorConfig(seed=5, conversations_per_day=400, now=DAY + timedelta(days=3)))
    with httpx.Client(transport=emu.transport(), base_url="https://api.emulator.test") as client:
        token = client.post(
            "/oauth/token",
            auth=("emulator-client", "emulator-secret"),
            data={"grant_type": "client_credentials"},
        ).json()["access_token"]
        body = {
            "interval": f"{DAY.isoformat()}/{(DAY + timedelta(days=1)).isoformat()}",
            "granularity": "PT1H",
            "groupBy": ["queueId", "mediaType"],
            "metrics": METRICS,
        }
        reply = client.post(
            "/api/v2/analytics/conversations/aggregates/query",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
    reply.raise_for_status()
    return reply.json(), emu


def _kpis_from_details(
    conversations: list[dict[str, Any]], sl_ms: dict[str, int]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Independent arithmetic: walk sessions, bucket each metric by its emit hour."""
    acc: dict[tuple[Any, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    end = DAY + timedelta(days=1)
    for conversation in conversations:
        for part in conversation["participants"]:
            for session in part["sessions"]:
                queue = next((g["queueId"] for g in session["segments"] if "queueId" in g), None)
                if queue is None:
                    continue
                metrics = {m["name"]: m for m in session.get("metrics", [])}
                for m in session.get("metrics", []):
                    emit = datetime.fromisoformat(m["emitDate"].replace("Z", "+00:00"))
                    if m["name"] in METRICS and DAY <= emit < end:
                        cell = acc[
                            (
                                emit.replace(minute=0, second=0, microsecond=0),
                                queue,
                                session["mediaType"],
                            )
                        ]
                        cell[m["name"] + ".count"] += m["value"] if m["name"].startswith("n") else 1
                        cell[m["name"] + ".sum"] += m["value"]
                if part["purpose"] == "acd" and "tAcd" in metrics:
                    emit = datetime.fromisoformat(
                        metrics["tAcd"]["emitDate"].replace("Z", "+00:00")
                    )
                    if DAY <= emit < end:
                        cell = acc[
                            (
                                emit.replace(minute=0, second=0, microsecond=0),
                                queue,
                                session["mediaType"],
                            )
                        ]
                        cell["sl.den"] += 1
                        cell["sl.num"] += (
                            "tAbandon" not in metrics and metrics["tAcd"]["value"] <= sl_ms[queue]
                        )
    return {key: _kpi_row(cell) for key, cell in acc.items()}


def _kpi_row(cell: dict[str, float]) -> dict[str, Any]:
    def avg(metric: str) -> float | None:
        return cell[metric + ".sum"] / cell[metric + ".count"] if cell[metric + ".count"] else None

    offered, answered = cell["nOffered.count"], cell["tAnswered.count"]
    return {
        "offered": offered,
        "answered": answered,
        "abandoned": cell["tAbandon.count"],
        "abandon_rate": cell["tAbandon.count"] / offered if offered else None,
        "avg_handle_ms": avg("tHandle"),
        "avg_talk_ms": avg("tTalk"),
        "avg_hold_ms": avg("tHeld"),
        "avg_acw_ms": avg("tAcw"),
        "avg_speed_of_answer_ms": avg("tAnswered"),
        "service_level": cell["sl.num"] / cell["sl.den"] if cell["sl.den"] else None,
        "transfer_rate": cell["nTransferred.count"] / answered if answered else None,
    }


def test_kpis_of_an_emulated_day_equal_kpis_computed_from_its_details() -> None:
    body, emu = _emulator_aggregates()
    table = flatten_aggregates(
        body.get("results", []),
        granularity="PT1H",
        time_zone="UTC",
        group_by=["queueId", "mediaType"],
        query_name="day",
    )
    queues = flatten_queues(emu.truth.queues())
    kpis = compute_queue_kpis(table, queues).to_pylist()
    sl_ms = dict(
        zip(
            queues.column("id").to_pylist(),
            queues.column("call_service_level_duration_ms").to_pylist(),
            strict=True,
        )
    )
    conversations = emu.truth.conversations(DAY - timedelta(days=2), DAY + timedelta(days=1))
    expected = _kpis_from_details(conversations, sl_ms)
    assert len(kpis) == len(expected) > 24
    names = dict(
        zip(queues.column("id").to_pylist(), queues.column("name").to_pylist(), strict=True)
    )
    for row in kpis:
        want = expected[(row["interval_start"], row["queue_id"], row["media_type"])]
        got = {k: row[k] for k in want}
        assert got == pytest.approx(want), (row["interval_start"], row["queue_id"])
        assert row["queue_name"] == names[row["queue_id"]]
    assert sum(r["offered"] for r in kpis) > 100
    assert any(r["abandoned"] for r in kpis) and any(r["avg_hold_ms"] for r in kpis)
