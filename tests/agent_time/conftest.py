"""The pipeline tests' served emulator (its clock runs; tests can move it) for the agent-time end-to-end test."""

from __future__ import annotations

from tests.pipeline.conftest import served

__all__ = ["served"]
