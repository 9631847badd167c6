"""Read events back from the session's Prefect API (bounded polling)."""

from __future__ import annotations

from tests.support.waiting import wait_until


def prefect_events(name: str, resource_id: str, timeout_s: float = 30) -> list:
    from prefect import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    flt = EventFilter(
        event=EventNameFilter(name=[name]), resource=EventResourceFilter(id=[resource_id])
    )
    with get_client(sync_client=True) as client:
        try:
            return wait_until(
                lambda: client.read_events(filter=flt, limit=50).events,
                timeout_s,
                f"event {name} on {resource_id}",
                interval=0.5,
            )
        except AssertionError:
            return []
