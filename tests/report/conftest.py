"""Demo data for the report tests: the real demo pipeline (emulator → Parquet → DuckDB), built once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from gcexport.clock import FakeClock
from gcexport.commands.demo import demo_settings, run_demo
from tests.conftest import TEST_NOW

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
CHROMIUM = Path("/usr/bin/chromium")


@dataclass(frozen=True)
class Demo:
    out: Path
    warehouse_url: str
    kpis: dict[str, str]

    @property
    def db_path(self) -> Path:
        return self.out / "gcexport.duckdb"

    def sql(self, query: str) -> list[tuple[object, ...]]:
        """An independent read-only connection, for the tests' own expected values."""
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.execute(query).fetchall()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("report-demo")
    code = run_demo(
        out=out, days=2, conversations_per_day=300, quiet=True, clock=FakeClock(TEST_NOW)
    )
    assert code == 0
    settings = demo_settings(out)
    url = settings.export.warehouse_url()
    assert url is not None
    return Demo(out=out, warehouse_url=url, kpis=dict(settings.kpis))


@dataclass
class OpenedPage:
    """A report open in Chromium, and every non-file request it attempted (all aborted)."""

    tab: Any
    attempted: list[str]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium, driven by playwright (never `playwright install`)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is needed: apt-get install -y chromium (make test does it)")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def open_report(browser: Any) -> Iterator[Callable[[Path], OpenedPage]]:
    """Open an HTML file offline, aborting (and recording) every request that is not file://."""
    contexts: list[Any] = []

    def opener(path: Path) -> OpenedPage:
        attempted: list[str] = []

        def guard(route: Any) -> None:
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                attempted.append(route.request.url)
                route.abort()

        context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
        contexts.append(context)
        context.route("**/*", guard)
        tab = context.new_page()
        tab.goto(path.resolve().as_uri(), wait_until="load", timeout=30_000)
        return OpenedPage(tab, attempted)

    yield opener
    for context in contexts:
        context.close()
