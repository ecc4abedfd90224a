"""One module per Genesys analytics endpoint family; each yields `Page`s with their context.

Example::

    from gcexport.api import details, jobs, aggregates, exports, lookups
    for page in jobs.iter_job_pages(client, start, end):
        ...
"""

from __future__ import annotations

from gcexport.api import aggregates, details, exports, jobs, lookups
from gcexport.api.exports import ExportResult
from gcexport.api.paging import PollPolicy

__all__ = ["ExportResult", "PollPolicy", "aggregates", "details", "exports", "jobs", "lookups"]
