"""Read events back from the session's Prefect API (bounded polling)."""

from __future__ import annotations

import time


def prefect_events(name: str, resource_id: str, timeout_s: float = 30) -> list:
    from prefect import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    flt = EventFilter(event=EventNameFilter(name=[name]), resource=EventResourceFilter(id=[resource_id]))
    deadline = time.monotonic() + timeout_s
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            found = client.read_events(filter=flt, limit=50).events
            if found:
                return found
            time.sleep(0.5)
    return []
