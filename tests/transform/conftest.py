"""Fixtures for the transform tests."""

from __future__ import annotations

from typing import Any

import pytest
from transform_support import load_sample


@pytest.fixture
def job_page() -> dict[str, Any]:
    """A real job-results page (10 conversations, callbacks, attributes, a cursor)."""
    return load_sample("details-job-results.page-with-cursor.xfaith4-fixture.json")
