"""Shadow agreement: how often the shadow's answer matches the champion's (pure)."""

from __future__ import annotations

from collections.abc import Sequence


def count_agreement(champion: Sequence, shadow: Sequence) -> tuple[int, int]:
    """(agree, disagree) row counts of two equally long label sequences."""
    if len(champion) != len(shadow):
        raise ValueError(
            f"champion gave {len(champion)} answers, shadow {len(shadow)}: cannot compare"
        )
    agree = sum(1 for a, b in zip(champion, shadow, strict=True) if a == b)
    return agree, len(champion) - agree


def agreement_rate(agree: int, disagree: int) -> float | None:
    total = agree + disagree
    return None if total == 0 else agree / total
