"""A Genesys Cloud emulator: a seeded synthetic org served with the real API's shapes, limits, errors and faults.

It imports nothing from the rest of gcexport, so a misread of the API cannot be mirrored on both sides.

Example::

    from gcexport.emulator import Emulator, EmulatorConfig, serve

    emu = Emulator(EmulatorConfig(seed=1, conversations_per_day=1000))
    client = httpx.Client(transport=emu.transport())        # in-process, any host name
    with serve(emu) as server:                               # loopback HTTP, background thread
        print(server.base_url)   # API at base_url/api/v2/..., token at base_url/oauth/token
    serve(emu, port=8080).serve_forever()                    # blocking (for `gcexport emulator serve`)

Choices the API leaves open, decided here (REFERENCE.md §14):

- Volume: a day holds round(conversations_per_day × weekday factor) conversations (Mon 1.15 …
  Sun 0.80, mean 1); `weekly_curve=False` gives exactly conversations_per_day. Arrivals follow an
  hourly curve. Conversation ids are v4 UUIDs whose low bits hide their UTC day (by-id is O(1 day)).
- Details jobs serve a conversation only once it has ENDED at or before the watermark
  (`dataAvailabilityDate` = now − availability_lag, fixed at submission), in its final version;
  lifetime-overlap matching otherwise (start-of-day matching when `startOfDayIntervalMatching`).
  Results after expiry → 404 not.found; before FULFILLED or after FAILED → 400 bad.request.
  Default results pageSize = min(1000, job_page_size_max); larger → 400.
- Aggregates: a metric counts in the bucket containing its `emitDate`; its dimensions are the
  conversation's, participant's and session's scalars plus the session's first `queueId` and its
  `wrapUpCode`. oServiceLevel: one per acd session with tAcd; numerator = not abandoned and tAcd ≤
  the queue's serviceLevel.durationMs; `target` only when every contributing queue shares it.
- Exports: SUBMITTED → RUNNING → COMPLETED over export_running_seconds; the CSV is at
  `<base>/api/v2/downloads/<id>` (bearer token required). Data for QUEUE_/AGENT_PERFORMANCE_SUMMARY_VIEW;
  any other valid viewType ends FAILED (FAILED_CONVERTING_EXPORT_JOB).
- Faults (drawn per request from random.Random(seed)): /oauth/token only ever gets 5xx or drop;
  `revoke` revokes every token before the request is checked (so it gets 401); `slow` sleeps
  slow_seconds of real time over HTTP, and calls clock.sleep in-process when the clock has one.
  A drop raises httpx.RemoteProtocolError in-process and closes the socket over HTTP.
"""

from __future__ import annotations

from gcexport.emulator.app import Emulator, RequestRecord, Truth
from gcexport.emulator.config import EmulatorConfig, FaultSpec
from gcexport.emulator.server import EmulatorServer, serve
from gcexport.emulator.tenants import Tenants

__all__ = [
    "Emulator",
    "EmulatorConfig",
    "EmulatorServer",
    "FaultSpec",
    "RequestRecord",
    "Tenants",
    "Truth",
    "serve",
]
