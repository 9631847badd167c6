"""The drift loop's scenarios (issue 22): does the action the monitor takes repair the model?

    PYTHONPATH=. .venv/bin/python bench/loop.py [--rows 500] [--json]

Everything is real: `release` flow runs (train, every gate, register; targets onnx-fp32 only to
save time), the MLflow registry, whylogs production profiles in the artifact store, the
`drift-monitor` flow with the example policy (`deployments/drift_policy.yaml`) opening
`retrain` / `rollback` inline, all in a fresh SLIPWAY_HOME and a temporary Prefect API.

Base versions (released once, then registered under one model name per scenario from the same
bundles): A (seed 0) and B (seed 1), both good; BAD (seed 2, a 4-unit layer, 3 iterations).

Scenarios (production traffic profiled under the champion, `--rows` rows; the labelled window
is `--rows` rows from one half of the digit images, the metric is measured on `--rows` fresh
rows from the other half):
- (a) covariate shift with labels: A then B promoted; traffic and labels are inverted digits;
- (b) bad promotion, then labels arrive: A then BAD promoted; clean traffic and labels;
- (c) no drift: A then B promoted; clean traffic and labels;
- (d) drift without labels: A then B promoted; inverted traffic, no labels.

Goal: (a) and (b) back within 5 points of the pre-shift level (the champion before the shift,
or A before the bad promotion), (c) no action, (d) alert without acting.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCENARIOS = {
    "a": ("covariate shift with labels (inverted digits)", "B", "invert", True),
    "b": ("bad promotion, then labels arrive", "BAD", "none", True),
    "c": ("no drift (labels arrive)", "B", "none", True),
    "d": ("drift without labels (inverted digits)", "B", "invert", False),
}


def release_base(name: str) -> dict[str, str]:
    from flows.release import release
    from slipway.release.params import ReleaseParams
    from slipway.train.params import TrainParams

    fast = {"targets": ["onnx-fp32"], "bench_duration_s": 0.1, "bench_threads": [1]}
    trains = {
        "A": TrainParams(seed=0),
        "B": TrainParams(seed=1),
        "BAD": TrainParams(seed=2, max_iter=3, hidden_layers=(4,)),
    }
    versions = {}
    for label, train in trains.items():
        result = release(ReleaseParams(model_name=name, train=train, promote_first=False, **fast))
        versions[label] = result.version
    return versions


def copy_versions(base: str, versions: dict[str, str], name: str, order: list[str]) -> dict:
    """Register the base bundles under `name` in `order` and promote each in turn (the last is
    the champion, the one before it `previous`, promoted just now)."""
    from slipway.registry import open_registry
    from tasks.promote import guarded_promote

    client = open_registry().client
    client.create_registered_model(name)
    out = {}
    for label in order:
        mv = client.get_model_version(base, versions[label])
        new = client.create_model_version(name, mv.source, run_id=mv.run_id)
        out[label] = str(new.version)
        guarded_promote(name, out[label], reason=f"bench: {label}")
    return out


def traffic(kind: str, rows: int, seed: int, pool: str, contract):
    from slipway.drift.shifted import shifted_digits

    return shifted_digits(rows, kind, seed=seed, with_labels=True, contract=contract, pool=pool)


def write_profiles(name: str, version: str, frame, now: datetime) -> None:
    """What the gateway would write: the features and the champion's predicted class."""
    import numpy as np

    from slipway.drift import profiles, scoring
    from slipway.layout import read_manifest
    from slipway.registry import open_registry
    from slipway.runtimes import load_candidate
    from slipway.store import open_store

    bundle = open_registry().download_bundle(name, version)
    manifest = read_manifest(bundle)
    features = frame[manifest.feature_names].reset_index(drop=True)
    predicted = load_candidate(bundle, manifest.selected()).predict(
        features.to_numpy(dtype=np.float32)
    )["label"]
    view = features.copy()
    view["prediction"] = predicted.astype("int64")
    key = scoring.profile_key(name, version, "champion", now - timedelta(minutes=30), "bench")
    open_store().put_bytes(key, profiles.serialize(profiles.profile_frame(view)))


def accuracy(name: str, version: str, frame) -> float:
    from slipway.drift.scoring import metric_on
    from slipway.registry import open_registry

    return metric_on(open_registry().download_bundle(name, version), frame)


def run_scenario(key: str, base: str, versions: dict, rows: int, workdir: Path) -> dict:
    from flows.drift_monitor import drift_monitor
    from slipway.drift.params import MonitorParams
    from slipway.drift.policy_file import EXAMPLE_POLICY
    from slipway.layout import read_contract
    from slipway.registry import open_registry

    title, champion_label, kind, labelled = SCENARIOS[key]
    name = f"loop-{key}"
    order = ["A", champion_label]
    ids = copy_versions(base, versions, name, order)
    champion = ids[champion_label]
    contract = read_contract(open_registry().download_bundle(name, champion))
    clean_fresh = traffic("none", rows, 12, "fresh", contract)
    pre_shift = accuracy(name, ids["A"] if key == "b" else champion, clean_fresh)
    fresh = traffic(kind, rows, 11, "fresh", contract)
    now = datetime.now(UTC)
    write_profiles(name, champion, traffic(kind, rows, 10, "fresh", contract), now)
    labelled_path = None
    if labelled:
        labelled_path = str(workdir / f"{name}-labelled.parquet")
        traffic(kind, rows, 13, "window", contract).to_parquet(labelled_path, index=False)
    before = accuracy(name, champion, fresh)
    started = time.perf_counter()
    result = drift_monitor(
        MonitorParams(
            model_name=name,
            window="2h",
            policy=str(EXAMPLE_POLICY),
            labelled=labelled_path,
            act="inline",
            now=now,
            retrain_targets=("onnx-fp32",),
        )
    )
    elapsed = time.perf_counter() - started
    decision = result.decision
    serving, note = champion, ""
    action = result.action
    if action is not None and action.action == "rollback":
        serving = action.detail.get("champion", champion)
    elif action is not None and action.action == "retrain":
        retrained = action.detail.get("version")
        held = action.detail.get("holdout") or {}
        if action.detail.get("accepted"):
            serving = retrained  # what serves once its canary passes
            note = (
                f"retrained v{retrained} accepted on {held.get('rows')} held-out labelled rows: "
                f"accuracy {held.get('candidate', 0):.4f} vs the champion's "
                f"{held.get('champion', 0):.4f} (p={held.get('p_better', 1):.3g} that it is "
                "better); it waits "
                "for its canary"
            )
        else:
            note = f"retrained version {retrained} not accepted: {action.detail.get('summary')}"
    after = accuracy(name, serving, fresh)
    return {
        "scenario": key,
        "title": title,
        "decision": decision.action,
        "suppressed": decision.suppressed,
        "reasons": decision.reasons,
        "opened": action.action if action else None,
        "champion": champion,
        "serving_after": serving,
        "pre_shift": round(pre_shift, 4),
        "before": round(before, 4),
        "after": round(after, 4),
        "restored_within_5_points": after >= pre_shift - 0.05,
        "note": note,
        "monitor_s": round(elapsed, 1),
    }


def goal_met(row: dict) -> bool:
    if row["scenario"] in ("a", "b"):
        return row["opened"] is not None and row["restored_within_5_points"]
    if row["scenario"] == "c":
        return row["decision"] == "none"
    return row["decision"] == "alert-only" and row["opened"] is None


def table(rows: list[dict]) -> str:
    lines = [
        "| scenario | decision | opened | metric before | after | pre-shift | goal |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        decision = r["decision"] + (f" (held back: {r['suppressed']})" if r["suppressed"] else "")
        lines.append(
            f"| ({r['scenario']}) {r['title']} | {decision} | {r['opened'] or '-'} | "
            f"{r['before']:.4f} (v{r['champion']}) | {r['after']:.4f} (v{r['serving_after']}) | "
            f"{r['pre_shift']:.4f} | {'met' if goal_met(r) else 'NOT met'} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--scenarios", default="abcd")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="slipway-loop-bench-"))
    os.environ["SLIPWAY_HOME"] = str(home)
    os.environ.pop("SLIPWAY_ARTIFACT_ROOT", None)
    os.environ.pop("SLIPWAY_TRACKING_URI", None)
    from prefect.testing.utilities import prefect_test_harness

    rows = []
    started = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=180):
        versions = release_base("loop-base")
        for key in args.scenarios:
            rows.append(run_scenario(key, "loop-base", versions, args.rows, home))
    total = time.perf_counter() - started
    if args.json:
        print(json.dumps({"rows": rows, "elapsed_s": round(total, 1)}, indent=2))
    else:
        print(table(rows))
        for r in rows:
            print(f"\n({r['scenario']}) {r['decision']}:")
            for reason in r["reasons"]:
                print(f"  - {reason[:400]}")
            if r["note"]:
                print(f"  {r['note']}")
        print(f"\n{len(rows)} scenarios in {total:.0f} s (SLIPWAY_HOME {home})")
    return 0 if all(goal_met(r) for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
