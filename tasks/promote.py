"""Moving `champion`: the registry's guarded promote and rollback inside a Prefect transaction.

The library (slipway.registry) does the moves and offers the compensation; here the move runs
in a transaction whose rollback hook puts the aliases back (`restore_aliases`) if any step
fails, and the outcome is announced as a Prefect event. `guarded_promote` and
`guarded_rollback` are plain functions so that other tasks (canary-release's promote-version,
rollback's roll-back) and the `slipway promote` command call the same code; the tasks below
wrap them for flows.
"""

from __future__ import annotations

from prefect import task
from prefect.transactions import transaction

from slipway import events
from slipway.registry import CHAMPION, PromoteResult, Registry, open_registry


def _in_transaction(registry: Registry, name: str, key: str, move) -> PromoteResult:
    before = registry.aliases(name)

    def restore(_txn) -> None:
        registry.restore_aliases(name, before)

    with transaction() as txn:
        txn.stage(key, on_rollback_hooks=[restore])
        return move()


def guarded_promote(
    name: str, version: str, reason: str, registry: Registry | None = None
) -> PromoteResult:
    """`champion` -> `version` (refused unless every gate passed); event `promoted`."""
    registry = registry or open_registry()
    version = registry.version_number(name, version)
    if registry.alias(name, CHAMPION) == version:  # nothing moves (the guard still applies)
        return registry.promote(name, version, reason=reason)
    moved = _in_transaction(
        registry,
        name,
        f"promote-{name}-{version}",
        lambda: registry.promote(name, version, reason=reason),
    )
    events.emit(
        events.PROMOTED, name, moved.version, {"previous": moved.previous, "reason": reason}
    )
    return moved


def guarded_rollback(name: str, reason: str, registry: Registry | None = None) -> PromoteResult:
    """`champion` back to `previous` (through the same guard); event `version.rolled_back`."""
    registry = registry or open_registry()
    moved = _in_transaction(
        registry,
        name,
        f"rollback-{name}",
        lambda: registry.rollback_to_previous(name, reason=reason),
    )
    events.emit(
        events.VERSION_ROLLED_BACK,
        name,
        moved.previous,
        {"champion": moved.version, "reason": reason},
    )
    return moved


@task(name="promote")
def promote_version(name: str, version: str, reason: str) -> PromoteResult:
    return guarded_promote(name, version, reason)


@task(name="read-champion")
def champion_of(name: str) -> str | None:
    """The version `champion` points at (None before the first promotion)."""
    return open_registry().alias(name, CHAMPION)
