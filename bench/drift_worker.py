"""One tool's drift verdicts on every run of `bench/drift_null.py`, in that tool's virtualenv.

    <venv>/bin/python bench/drift_worker.py TOOL WORKDIR     (TOOL: slipway, evidently, nannyml)

Reads WORKDIR/data/*.csv and WORKDIR/runs.json, rebuilds each run with `drift_cases.build`
and writes one JSON line per run to WORKDIR/TOOL.jsonl: the flagged columns and the dataset
verdict (for slipway also under Holm and without correction, from the same measurements).
Each tool runs with its defaults:
- slipway: `DriftPolicy()` except `min_rows: 1` (its default, 50, answers no-data at 30 rows);
  dataset verdict = `slipway drift` exits 1 (policy rules met, or an unscorable column);
- Evidently 0.7: DataDriftPreset's per-column rule (`get_one_column_drift` with the preset's
  auto-selected test and threshold, the function its ValueDrift metric calls, without rendering
  the widgets: checked against a full Report on the first run of each dataset); dataset
  verdict = the preset's DriftedColumnsCount test (share of drifted columns >= 0.5);
- NannyML 0.13: UnivariateDriftCalculator defaults (Jensen-Shannon, threshold mean + 3 sd of
  the reference chunks) with chunk_size = the window; n/a when the reference holds fewer than
  3 chunks; dataset verdict = any column alert (NannyML has no dataset rule).
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import drift_cases as dc  # noqa: E402

MIN_REFERENCE_CHUNKS = 3
AGG = False  # plot data only: the verdicts are the same (checked against the Report)


def slipway_judge():
    sys.path.insert(0, str(HERE.parent))
    from datetime import UTC, datetime

    from slipway.core.drift import DriftScores, dataset_verdict
    from slipway.core.drift_policy import DriftPolicy
    from slipway.core.drift_verdicts import judge_columns
    from slipway.drift import profiles

    policies = {name: DriftPolicy(min_rows=1, correction=name) for name in ("bh", "holm", "none")}
    now = datetime.now(UTC)

    def judge(reference, current, run):
        ref, cur = profiles.profile_frame(reference), profiles.profile_frame(current)
        measures = [
            profiles.measure_column(
                ref, cur, c, policies["bh"].rule(c, profiles.is_numeric(ref, c))
            )
            for c in profiles.column_names(ref)
        ]
        out = {}
        for name, policy in policies.items():
            features = judge_columns(measures, policy)
            scores = DriftScores(rows=len(current), features=features)
            verdict, _ = dataset_verdict(scores, policy, now)
            out[name] = {
                "flagged": [f.name for f in features if f.drifted],
                "dataset": verdict in ("drift", "alert"),
            }
        return out["bh"] | {"variants": {"holm": out["holm"], "none": out["none"]}}

    return judge


def evidently_judge():
    from evidently import Dataset, Report
    from evidently.legacy.calculations.data_drift import get_one_column_drift
    from evidently.legacy.core import ColumnType
    from evidently.legacy.metric_results import DatasetColumns, DatasetUtilityColumns
    from evidently.legacy.options.data_drift import DataDriftOptions
    from evidently.presets import DataDriftPreset

    checked: set[str] = set()

    def columns_of(name, kind):
        return DatasetColumns(
            utility_columns=DatasetUtilityColumns(date=None, id=None, target=None, prediction=None),
            target_type=None,
            task=None,
            num_feature_names=[name] if kind == ColumnType.Numerical else [],
            cat_feature_names=[name] if kind == ColumnType.Categorical else [],
            text_feature_names=[name] if kind == ColumnType.Text else [],
            datetime_feature_names=[],
            target_names=None,
        )

    def judge(reference, current, run):
        dataset = Dataset.from_pandas(current)
        flagged = []
        for name in current.columns:
            kind = dataset.column(name).type
            drift = get_one_column_drift(
                current_data=current,
                reference_data=reference,
                column_name=name,
                options=DataDriftOptions(),
                dataset_columns=columns_of(name, kind),
                column_type=kind,
                agg_data=AGG,
            )
            if drift.drift_detected:
                flagged.append(name)
        share = len(flagged) / len(current.columns)
        result = {"flagged": flagged, "dataset": share >= 0.5}
        if run.dataset not in checked:  # the fast path must agree with the preset's Report
            checked.add(run.dataset)
            snapshot = (
                Report([DataDriftPreset()], include_tests=True)
                .run(current_data=current, reference_data=reference)
                .dict()
            )
            full = sorted(
                t["metric_config"]["params"]["column"]
                for t in snapshot["tests"]
                if t["id"] == "drift" and t["status"] == "FAIL"
            )
            dataset_fail = any(t["id"] == "lt" and t["status"] == "FAIL" for t in snapshot["tests"])
            result["report_agrees"] = full == sorted(flagged) and dataset_fail == result["dataset"]
        return result

    return judge


def nannyml_judge():
    import nannyml as nml

    def judge(reference, current, run):
        chunks = len(reference) // len(current)
        if chunks < MIN_REFERENCE_CHUNKS:
            return {"na": f"reference holds {chunks} chunk(s) of {len(current)} rows"}
        calc = nml.UnivariateDriftCalculator(
            column_names=list(reference.columns), chunk_size=len(current)
        )
        calc.fit(reference)
        frame = calc.calculate(current).filter(period="analysis").to_df()
        row = frame.iloc[-1]
        flagged = sorted({c[0] for c in frame.columns if c[-1] == "alert" and bool(row[c])})
        return {"flagged": flagged, "dataset": bool(flagged)}

    return judge


JUDGES = {"slipway": slipway_judge, "evidently": evidently_judge, "nannyml": nannyml_judge}


def main(argv: list[str]) -> int:
    tool, work = argv[0], Path(argv[1])
    warnings.filterwarnings("ignore")
    import logging

    logging.disable(logging.WARNING)
    judge = JUDGES[tool]()
    base = dc.read_datasets(work / "data")
    specs = json.loads((work / "runs.json").read_text())
    runs = [
        dc.Run(**{k: v for k, v in r.items() if k != "shared"})
        for r in specs
        if tool == "slipway" or r["shared"]
    ]
    started = time.perf_counter()
    with open(work / f"{tool}.jsonl", "w") as out:
        for run in runs:
            try:
                reference, current, shifted = dc.build(run, base[run.dataset])
            except dc.NotEnoughRows as exc:
                result = {"na": str(exc)}
            else:
                try:
                    result = judge(reference, current, run)
                except Exception as exc:  # a tool failing on a run is a result, not a crash
                    result = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
                result["shifted"] = shifted
            out.write(json.dumps({"key": run.key, **result}) + "\n")
            out.flush()
    seconds = time.perf_counter() - started
    (work / f"{tool}.time").write_text(f"{seconds:.1f}\n")
    print(f"{tool}: {len(runs)} runs in {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
