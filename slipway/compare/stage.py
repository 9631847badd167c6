"""compare-with-champion: predict the same labelled rows with the candidate and the champion,
compare them (paired test), and diff the serving contracts. A failing gate raises GateFailed
with both values before anything is registered or routed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from slipway.compare.params import CompareParams, CompareResult
from slipway.core.comparison import Comparison, compare_classifiers, compare_regressors
from slipway.core.contract import ServingContract
from slipway.core.contract_diff import GATE as CONTRACT_GATE
from slipway.core.contract_diff import contract_gate, diff_contracts, widen_to_champion
from slipway.core.evidence import GateResult
from slipway.core.manifest import Manifest
from slipway.errors import BadInput, GateFailed

COMPARISON_GATE = "champion_comparison"


def predict(bundle_dir: Path, manifest: Manifest, frame, what: str) -> np.ndarray:
    """The selected candidate's answers on `frame`: class labels, or the regression value."""
    from slipway.runtimes import load_candidate

    missing = [c for c in manifest.feature_names if c not in frame.columns]
    if missing:
        raise BadInput(
            f"the eval data lacks {what}'s features {missing[:5]}: give eval data with every "
            "column both versions take"
        )
    x = frame[manifest.feature_names].to_numpy(dtype=np.float32)
    out = load_candidate(bundle_dir, manifest.selected()).predict(x)
    key = "label" if manifest.task == "classification" else "variable"
    return np.asarray(out[key]).ravel()


def compare_predictions(
    params: CompareParams, task: str, y, candidate: np.ndarray, champion: np.ndarray
) -> Comparison:
    knobs = {
        "max_regression": params.max_regression,
        "require_improvement": params.require_improvement,
        "alpha": params.alpha,
    }
    if task == "classification":
        return compare_classifiers(y, candidate, champion, **knobs)
    return compare_regressors(y, candidate, champion, metric=params.regression_metric, **knobs)


def comparison_gate(comparison: Comparison, champion_version: str) -> GateResult:
    details = {**comparison.as_dict(), "champion_version": champion_version}
    return GateResult(
        status="passed" if comparison.passed else "failed",
        summary=comparison.line()
        .split(": ", 2)[2]
        .replace("champion ", f"champion (version {champion_version}) ", 1),
        details=details,
    )


def contract_part(
    params: CompareParams, champion: ServingContract, version: str
) -> tuple[GateResult, ServingContract]:
    """The contract gate; the candidate's contract, its ranges widened when allowed."""
    contract = params.contract
    assert contract is not None
    widened: list[str] = []
    diff = diff_contracts(champion, contract)
    narrowed_ranges = any(
        c.kind == "narrowed" and c.detail.startswith("range") for c in diff.breaking
    )
    if params.widen_ranges and narrowed_ranges:
        contract, widened = widen_to_champion(champion, contract)
        diff = diff_contracts(champion, contract)
    gate = contract_gate(
        diff,
        champion_version=version,
        allow_change=params.allow_contract_change,
        widened_by_release=widened,
    )
    return gate, contract


def compare(params: CompareParams, registry=None) -> CompareResult:
    """Both gates against the current champion; no champion -> nothing to compare."""
    from slipway.data import read_table
    from slipway.layout import read_contract, read_manifest
    from slipway.registry import CHAMPION, open_registry

    registry = registry or open_registry()
    champion = registry.alias(params.name, CHAMPION)
    if champion is None:
        return CompareResult(
            contract=params.contract,
            summary=f"{params.name} has no champion yet: nothing to compare against",
        )
    champion_dir = registry.download_bundle(params.name, champion)
    champion_manifest = read_manifest(champion_dir)
    candidate_dir = Path(params.candidate_dir)
    manifest = read_manifest(candidate_dir)
    if manifest.selected() is None:
        raise BadInput(f"{candidate_dir}: the manifest has no selection; run `slipway bench`")
    if manifest.task != champion_manifest.task:
        raise GateFailed(
            f"champion_comparison: the candidate is a {manifest.task} model, champion version "
            f"{champion} a {champion_manifest.task} one: register it under another name"
        )
    frame = read_table(params.eval_data)
    if params.target_column not in frame.columns:
        raise BadInput(f"{params.eval_data}: target column {params.target_column!r} is missing")
    y = frame[params.target_column].to_numpy()
    ours = predict(candidate_dir, manifest, frame, "the candidate")
    theirs = predict(champion_dir, champion_manifest, frame, f"champion version {champion}")
    comparison = compare_predictions(params, manifest.task, y, ours, theirs)
    gates = {COMPARISON_GATE: comparison_gate(comparison, champion)}
    contract = params.contract
    if contract is not None:
        gates[CONTRACT_GATE], contract = contract_part(
            params, read_contract(champion_dir), champion
        )
    result = CompareResult(
        champion_version=champion,
        gates=gates,
        contract=contract,
        comparison=comparison.as_dict(),
        summary="; ".join(f"{g}: {r.status}" for g, r in gates.items())
        + f" (vs champion version {champion})",
    )
    failed = {g: r for g, r in gates.items() if r.status == "failed"}
    if failed:
        raise GateFailed(
            f"refusing {params.name}: "
            + " | ".join(f"{gate} failed: {r.summary}" for gate, r in failed.items()),
            report=result,
        )
    return result


def lines(result: CompareResult) -> list[str]:
    """What a user reads: one line per gate."""
    if not result.gates:
        return [result.summary]
    return [f"{gate}: {r.status}: {r.summary}" for gate, r in result.gates.items()]
