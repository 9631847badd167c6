"""The candidate's serving contract against the champion's: the contract compatibility gate.

Pure. A request the champion accepts must not get 422 from the new version, unless the release
says so (`allow_contract_change`). Breaking differences: a feature removed or added, the
feature order changed (array requests are positional), a dtype changed, a range or value set
narrowed, a nullable feature made non-nullable. Widening (a larger range, more allowed values)
passes and is recorded.

`widen_to_champion` is what a release does with a contract it derived from its own reference
sample: a range narrower than the champion's only because the sample saw fewer extremes is
widened to the champion's (ranges only), so that traffic the champion answers is still
answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from slipway.core.contract import FeatureSpec, ServingContract
from slipway.core.evidence import GateResult

ChangeKind = Literal["removed", "added", "order", "input", "dtype", "narrowed", "widened"]
BREAKING: frozenset[str] = frozenset({"removed", "added", "order", "input", "dtype", "narrowed"})
GATE = "contract_compatibility"


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    feature: str
    detail: str

    @property
    def breaking(self) -> bool:
        return self.kind in BREAKING

    def line(self) -> str:
        return f"{self.feature}: {self.kind} ({self.detail})"


@dataclass(frozen=True)
class ContractDiff:
    changes: list[Change] = field(default_factory=list)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]

    @property
    def widened(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "widened"]

    def lines(self) -> list[str]:
        return [c.line() for c in self.changes]


def _fmt(value) -> str:
    return "unbounded" if value is None else f"{value:g}"


def _bounds(old: FeatureSpec, new: FeatureSpec) -> list[Change]:
    """Range changes of one feature: narrowed when the new range excludes values the old took."""
    out = []
    lo_narrow = new.min is not None and (old.min is None or new.min > old.min)
    hi_narrow = new.max is not None and (old.max is None or new.max < old.max)
    lo_wide = old.min is not None and (new.min is None or new.min < old.min)
    hi_wide = old.max is not None and (new.max is None or new.max > old.max)
    span = f"range [{_fmt(old.min)}, {_fmt(old.max)}] -> [{_fmt(new.min)}, {_fmt(new.max)}]"
    if lo_narrow or hi_narrow:
        out.append(Change("narrowed", old.name, span))
    elif lo_wide or hi_wide:
        out.append(Change("widened", old.name, span))
    return out


def _values(old: FeatureSpec, new: FeatureSpec) -> list[Change]:
    if old.allowed_values == new.allowed_values:
        return []
    if new.allowed_values is None:
        return [Change("widened", old.name, "allowed values: any value now")]
    new_set = set(new.allowed_values)
    if old.allowed_values is None:
        return [Change("narrowed", old.name, f"allowed values: any -> {len(new_set)} values")]
    old_set = set(old.allowed_values)
    lost, gained = sorted(map(str, old_set - new_set)), sorted(map(str, new_set - old_set))
    if lost:
        return [Change("narrowed", old.name, f"allowed values lose {', '.join(lost[:10])}")]
    if gained:
        return [Change("widened", old.name, f"allowed values gain {', '.join(gained[:10])}")]
    return []


def _nullable(old: FeatureSpec, new: FeatureSpec) -> list[Change]:
    if old.nullable and not new.nullable:
        return [Change("narrowed", old.name, "nulls no longer accepted")]
    if new.nullable and not old.nullable:
        return [Change("widened", old.name, "nulls now accepted")]
    return []


def diff_contracts(champion: ServingContract, candidate: ServingContract) -> ContractDiff:
    """Every difference a client of the champion would notice, per feature."""
    old = {f.name: f for f in champion.features}
    new = {f.name: f for f in candidate.features}
    changes = [Change("removed", n, "the champion takes it") for n in old if n not in new]
    changes += [Change("added", n, "the champion does not take it") for n in new if n not in old]
    common_old = [n for n in champion.feature_names if n in new]
    common_new = [n for n in candidate.feature_names if n in old]
    if common_old != common_new:
        first = next(
            i for i, (a, b) in enumerate(zip(common_old, common_new, strict=True)) if a != b
        )
        changes.append(
            Change(
                "order",
                common_old[first],
                f"position {first} holds {common_new[first]!r} in the candidate",
            )
        )
    if champion.input_name != candidate.input_name:
        changes.append(
            Change(
                "input",
                "(input)",
                f"input tensor {champion.input_name!r} -> {candidate.input_name!r}",
            )
        )
    for name in common_old:
        a, b = old[name], new[name]
        if a.dtype != b.dtype:
            changes.append(Change("dtype", name, f"{a.dtype} -> {b.dtype}"))
            continue
        changes += _bounds(a, b) + _values(a, b) + _nullable(a, b)
    return ContractDiff(changes)


def _lower(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else min(a, b)


def _upper(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else max(a, b)


def widen_to_champion(
    champion: ServingContract, candidate: ServingContract
) -> tuple[ServingContract, list[str]]:
    """The candidate's contract with every numeric range narrower than the champion's widened to
    cover it (same feature, same dtype only); the names of the features that changed.

    Only ranges: a range derived from a reference sample under-covers by chance, while a lost
    category or a feature no longer nullable usually means the new model never saw such
    values, so those stay breaking differences."""
    old = {f.name: f for f in champion.features}
    widened, features = [], []
    for spec in candidate.features:
        base = old.get(spec.name)
        if base is None or base.dtype != spec.dtype:
            features.append(spec)
            continue
        wide = spec.model_copy(
            update={"min": _lower(base.min, spec.min), "max": _upper(base.max, spec.max)}
        )
        if wide != spec:
            widened.append(spec.name)
        features.append(wide)
    return candidate.model_copy(update={"features": features}), widened


def contract_gate(
    diff: ContractDiff,
    *,
    champion_version: str,
    allow_change: bool,
    widened_by_release: list[str] | None = None,
) -> GateResult:
    """`contract_compatibility`: failed on a breaking difference unless the change is allowed."""
    widened_by_release = widened_by_release or []
    details = {
        "champion_version": champion_version,
        "breaking": [c.line() for c in diff.breaking],
        "widened": [c.line() for c in diff.widened],
        "widened_to_champion": widened_by_release,
        "allow_contract_change": allow_change,
    }
    note = (
        f"; {len(widened_by_release)} feature(s) widened to the champion's range"
        if widened_by_release
        else ""
    )
    if diff.breaking and not allow_change:
        shown = "; ".join(c.line() for c in diff.breaking[:5])
        more = f" (+{len(diff.breaking) - 5} more)" if len(diff.breaking) > 5 else ""
        return GateResult(
            status="failed",
            summary=f"the contract differs from champion version {champion_version}: "
            f"{shown}{more}; pass allow_contract_change to ship it anyway",
            details=details,
        )
    if diff.breaking:
        summary = (
            f"{len(diff.breaking)} breaking difference(s) from champion version "
            f"{champion_version}, allowed (allow_contract_change)"
        )
    elif diff.widened:
        summary = f"compatible with champion version {champion_version}, widened: " + ", ".join(
            c.feature for c in diff.widened[:10]
        )
    else:
        summary = f"same contract as champion version {champion_version}"
    return GateResult(status="passed", summary=summary + note, details=details)
