"""Agent time's one registration: the user details and aggregates routes and the dims pack (DATASETS.md §1–§3)."""

from __future__ import annotations

from gcexport.emulator import people, useraggregates, userstatus
from gcexport.emulator.agents import AgentTime
from gcexport.emulator.backend import Backend
from gcexport.emulator.http import Routes


def add_routes(routes: Routes, backend: Backend) -> AgentTime:
    """Register every agent-time route; returns the timelines they serve (tests read them as truth)."""
    agents = AgentTime(backend)
    userstatus.add_routes(routes, backend, agents)
    useraggregates.add_routes(routes, agents)
    people.add_routes(routes, people.People(backend.org, backend.config.seed), backend.visible)
    return agents
