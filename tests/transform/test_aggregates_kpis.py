"""Aggregates → the long table; queue KPIs as Genesys defines them; custom KPIs in DuckDB."""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
from transform_support import load_sample

from gcexport.commands.demo import demo_settings
from gcexport.errors import ConfigError, DataError
from gcexport.transform import (
    TABLE_SCHEMAS,
    compute_queue_kpis,
    flatten_aggregates,
    flatten_queues,
    validate_kpi_expressions,
)
from gcexport.transform.kpis import DICTIONARY, KEYS, QUEUE_KPIS_SCHEMA, dictionary_markdown

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

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
    every = flatten_queues([*emu.truth.queues(), *emu.truth.deleted_queues()])
    sl_ms = dict(  # deleted queues judged their conversations too
        zip(
            every.column("id").to_pylist(),
            every.column("call_service_level_duration_ms").to_pylist(),
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
        assert row["queue_name"] == names.get(row["queue_id"])  # None: deleted since
    deleted = {q["id"] for q in emu.truth.deleted_queues()}
    assert {r["queue_id"] for r in kpis if r["queue_name"] is None} == deleted  # rows kept
    assert sum(r["offered"] for r in kpis) > 100
    assert any(r["abandoned"] for r in kpis) and any(r["avg_hold_ms"] for r in kpis)


# --- the sums behind every ratio; one data dictionary; shipped KPIs are ratios of sums ---------

ROOT = Path(__file__).resolve().parents[2]


def _hour(hour: int, queue: str, metrics: list[dict[str, Any]], **group: str) -> dict[str, Any]:
    start = datetime(2026, 11, 20, hour, tzinfo=timezone.utc)
    interval = f"{start.isoformat()}/{(start + timedelta(hours=1)).isoformat()}"
    return {
        "group": {"queueId": queue, "mediaType": "voice", **group},
        "data": [{"interval": interval, "metrics": metrics}],
    }


def _sl(numerator: int, denominator: int) -> dict[str, Any]:
    stats = {"numerator": numerator, "denominator": denominator, "target": 0.8}
    return {"metric": "oServiceLevel", "stats": stats}


def _timer(metric: str, count: int, total: float) -> dict[str, Any]:
    return {"metric": metric, "stats": {"count": count, "sum": total}}


def test_every_ratio_travels_with_its_sums_so_roll_ups_weigh_correctly() -> None:
    busy = [_sl(90, 100), _timer("tHandle", 100, 30_000_000.0), _timer("tHeld", 10, 600_000.0)]
    quiet = [_sl(0, 1), _timer("tHandle", 1, 200_000.0), _timer("tHeld", 1, 100_000.0)]
    table = flatten_aggregates(
        [_hour(9, "q", busy), _hour(3, "q", quiet)],
        granularity="PT1H",
        time_zone="UTC",
        group_by=["queueId", "mediaType"],
        query_name="queue_hourly",
    )
    kpis = compute_queue_kpis(
        table, None, custom_kpis={"hold_share": "hold_ms_sum / handle_ms_sum"}
    )
    rows = kpis.to_pylist()
    assert [(r["service_level_numerator"], r["service_level_denominator"]) for r in rows] == [
        (0.0, 1.0),
        (90.0, 100.0),
    ]
    assert [(r["handle_count"], r["handle_ms_sum"], r["hold_count"]) for r in rows] == [
        (1, 200_000.0, 1),
        (100, 30_000_000.0, 10),
    ]
    weighted = sum(r["service_level_numerator"] for r in rows) / sum(
        r["service_level_denominator"] for r in rows
    )
    assert weighted == pytest.approx(90 / 101)  # 89.1 %, where avg(service_level) says 45 %
    assert sum(r["service_level"] for r in rows) / 2 == pytest.approx(0.45)
    assert [r["hold_share"] for r in rows] == [pytest.approx(0.5), pytest.approx(0.02)]
    assert [r["avg_hold_ms"] for r in rows] == [100_000.0, 60_000.0]  # per HELD interaction


def test_queries_split_by_more_than_queue_and_media_do_not_feed_the_kpis() -> None:
    hourly = flatten_aggregates(
        [_hour(9, "q", [_timer("tHandle", 4, 400.0)])],
        granularity="PT1H",
        time_zone="UTC",
        group_by=["queueId", "mediaType"],
        query_name="queue_hourly",
    )
    by_wrapup = flatten_aggregates(
        [_hour(9, "q", [_timer("tHandle", 4, 400.0)], wrapUpCode="w1")],
        granularity="PT1H",
        time_zone="UTC",
        group_by=["queueId", "wrapUpCode"],
        query_name="wrapup_daily",
    )
    rows = compute_queue_kpis(pa.concat_tables([hourly, by_wrapup]), None).to_pylist()
    assert [(r["handle_count"], r["handle_ms_sum"]) for r in rows] == [(4, 400.0)]


def test_the_data_dictionary_covers_every_measure_and_the_readme_shows_it() -> None:
    measures = set(QUEUE_KPIS_SCHEMA.names) - set(KEYS) - {"queue_name", "partition_date", "extra"}
    assert {c.name for c in DICTIONARY} == measures
    assert len(DICTIONARY) == len(measures) == 24  # 15 sums, 8 ratios, the target
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- kpi-dictionary:start -->\n", 1)[1].split(
        "\n<!-- kpi-dictionary:end -->"
    )[0]
    assert block == dictionary_markdown()
    assert "| `avg_hold_ms` | `hold_ms_sum / hold_count` | tHeld sum ÷ tHeld count |" in block
    assert "avg(service_level)" not in readme
    assert "sum(service_level_numerator) / sum(service_level_denominator)" in readme


def _shipped_kpis() -> dict[str, dict[str, str]]:
    example = tomllib.loads((ROOT / "gcexport.example.toml").read_text(encoding="utf-8"))
    return {"example": example["kpis"], "demo": demo_settings(Path("unused")).kpis}


def test_no_shipped_kpi_divides_averages_and_every_share_is_in_range() -> None:
    shipped = _shipped_kpis()
    assert all(len(kpis) >= 3 for kpis in shipped.values())
    for where, kpis in shipped.items():
        for name, expression in kpis.items():
            assert "avg_" not in expression, (where, name)  # ratios of sums, never of averages
        validate_kpi_expressions(kpis)
    table = _aggregates("aggregates-response.all-metrics.splunk-mock.json")
    rows = compute_queue_kpis(table, None, custom_kpis=shipped["example"]).to_pylist()
    shares = [r[n] for r in rows for n in shipped["example"] if n.endswith("_share")]
    assert shares and all(0 <= s <= 1 for s in shares if s is not None)
