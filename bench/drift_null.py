"""Drift verdicts under the null and under shifts: slipway beside Evidently's and NannyML's
defaults, on the same reference/current splits, in one run.

    PYTHONPATH=. .venv/bin/python bench/drift_null.py [--null-runs 120] [--shared-null-runs 30]
        [--shift-runs 8] [--windows 30,100,200,1000] [--tools slipway,evidently,nannyml]
        [--out FILE.md] [--report-only]

What it measures (data and cases: `bench/drift_cases.py`; each tool's rule: `drift_worker.py`):
- false alarms: the share of no-drift runs (disjoint reference and current rows of one
  dataset, reshuffled per run) on which a tool flags any column, and on which its dataset
  verdict says drift, with 95% Wilson intervals;
- power: the share of the shifted columns a tool flags (per-column detection), and the share of
  shifted runs its dataset verdict catches.

Evidently and NannyML run in their own virtualenvs under bench/.venvs/ (git-ignored), created
here with the pinned versions below on first use; the project's venv never gets them. Scratch
files go to bench/.work/. The three workers run in parallel (one process each).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import drift_cases as dc  # noqa: E402

PINS = {
    # Evidently 0.7 does not import with pandas 3; NannyML 0.13 imports statsmodels without
    # declaring it. numpy/scipy/scikit-learn pinned to the project's versions.
    "evidently": [
        "evidently==0.7.23",
        "pandas==2.3.3",
        "numpy==2.4.6",
        "scipy==1.17.1",
        "scikit-learn==1.9.1",
    ],
    "nannyml": [
        "nannyml==0.13.1",
        "pandas==2.3.3",
        "statsmodels==0.15.0",
        "numpy==2.4.6",
        "scipy==1.17.1",
        "scikit-learn==1.9.1",
    ],
}
QUIET = {
    "NML_DISABLE_USAGE_LOGGING": "1",
    "DO_NOT_TRACK": "1",
    "WHYLOGS_NO_ANALYTICS": "True",
    "PYTHONWARNINGS": "ignore",
}
GOAL_FAR = 0.05


def tool_python(tool: str) -> Path:
    """The interpreter for a tool: this one for slipway, a pinned venv for the others."""
    if tool == "slipway":
        return Path(sys.executable)
    venv = HERE / ".venvs" / tool
    python, marker = venv / "bin" / "python", venv / ".pins"
    wanted = " ".join(PINS[tool])
    if python.is_file() and marker.is_file() and marker.read_text() == wanted:
        return python
    print(f"creating {venv} with {wanted} (once; a few minutes)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PINS[tool]], check=True)
    marker.write_text(wanted)
    return python


def wilson(hits: int, runs: int, z: float = 1.959964) -> tuple[float, float]:
    if runs == 0:
        return 0.0, 1.0
    share = hits / runs
    centre = (share + z * z / (2 * runs)) / (1 + z * z / runs)
    half = (
        z * ((share * (1 - share) / runs + z * z / (4 * runs * runs)) ** 0.5) / (1 + z * z / runs)
    )
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(hits: int, runs: int, interval: bool = True) -> str:
    if runs == 0:
        return "n/a"
    low, high = wilson(hits, runs)
    text = f"{hits / runs:.1%}"
    return f"{text} [{low:.1%}, {high:.1%}]" if interval else text


def load(work: Path, tool: str) -> dict[str, dict]:
    path = work / f"{tool}.jsonl"
    return (
        {r["key"]: r for r in map(json.loads, path.read_text().splitlines())}
        if path.is_file()
        else {}
    )


def answers(results, tool, keys, variant=None) -> list[dict]:
    """The tool's verdicts on these runs (a slipway variant's), without its n/a runs."""
    out = []
    for key in keys:
        result = results[tool].get(key)
        if result is None or "na" in result or "error" in result:
            continue
        out.append(
            {**result["variants"][variant], "shifted": result["shifted"]} if variant else result
        )
    return out


def keys_of(results, dataset, window, case) -> list[str]:
    prefix = f"{dataset}/{window}/{case}/"
    return [k for k in results["slipway"] if k.startswith(prefix)]


def critical_d(dataset: str, window: int, columns: int, alpha: float = 0.05) -> tuple[float, float]:
    """KS distance needed for p < alpha (one test) and p < alpha / columns (BH's first step),
    with whylogs' p-value (the one-sample distribution at the effective size)."""
    from scipy.stats import kstwo

    reference = dc.REFERENCE_ROWS[dataset]
    n = round(reference * window / (reference + window))
    return float(kstwo.isf(alpha, n)), float(kstwo.isf(alpha / columns, n))


def false_alarms(results, cells, columns) -> list[str]:
    lines = [
        "| dataset | window | KS D needed: 1 test / BH first step | slipway runs | slipway: "
        "dataset verdict | slipway: any column | slipway, Holm: any column | slipway, no "
        "correction: any column | Evidently/NannyML runs | Evidently: dataset verdict | "
        "Evidently: any column | NannyML: any column |",
        "|" + "---|" * 12,
    ]
    for dataset, window in cells:
        keys = keys_of(results, dataset, window, "none")
        shared = [k for k in keys if k in results["evidently"] or k in results["nannyml"]]
        one, first = critical_d(dataset, window, columns[dataset])
        row = [dataset, str(window), f"{one:.2f} / {first:.2f}", str(len(keys))]
        slip = answers(results, "slipway", keys)
        row.append(rate(sum(a["dataset"] for a in slip), len(slip)))
        for variant in (None, "holm", "none"):
            got = answers(results, "slipway", keys, variant)
            row.append(rate(sum(bool(a["flagged"]) for a in got), len(got)))
        row.append(str(len(shared)))
        ev = answers(results, "evidently", shared)
        row.append(rate(sum(a["dataset"] for a in ev), len(ev)))
        row.append(rate(sum(bool(a["flagged"]) for a in ev), len(ev)))
        nm = answers(results, "nannyml", shared)
        row.append(rate(sum(bool(a["flagged"]) for a in nm), len(nm)))
        lines.append("| " + " | ".join(row) + " |")
    return lines


POWER = [
    ("slipway", None),
    ("slipway", "holm"),
    ("slipway", "none"),
    ("evidently", None),
    ("nannyml", None),
]
POWER_HEAD = ["slipway (BH)", "slipway, Holm", "slipway, no correction", "Evidently", "NannyML"]


def column_power(got: list[dict]) -> tuple[int, int]:
    hits = sum(len(set(a["flagged"]) & set(a["shifted"])) for a in got)
    return hits, sum(len(a["shifted"]) for a in got)


def power(results, cells) -> tuple[list[str], list[str]]:
    """Per-column power (shifted columns flagged) and runs caught, per case."""
    col_lines = [
        "| dataset | case | window | runs | " + " | ".join(POWER_HEAD) + " |",
        "|" + "---|" * (4 + len(POWER)),
    ]
    set_lines = [
        "| dataset | case | window | runs | slipway: dataset verdict / any column | "
        "Evidently: dataset verdict / any column | NannyML: any column |",
        "|" + "---|" * 7,
    ]
    for case in dc.CASES[1:]:
        for dataset, window in cells:
            keys = keys_of(results, dataset, window, case)
            slip = answers(results, "slipway", keys)
            if not slip:
                continue
            head = [dataset, case, str(window), str(len(slip))]
            col_row = list(head)
            for tool, variant in POWER:
                hits, targets = column_power(answers(results, tool, keys, variant))
                col_row.append(
                    f"{hits / targets:.0%}"
                    if targets
                    else "n/a"
                    if not answers(results, tool, keys, variant)
                    else "-"
                )
            col_lines.append("| " + " | ".join(col_row) + " |")
            set_row = list(head)
            for tool in ("slipway", "evidently", "nannyml"):
                got = answers(results, tool, keys)
                if not got:
                    set_row.append("n/a")
                    continue
                caught = sum(a["dataset"] for a in got) / len(got)
                any_col = sum(bool(a["flagged"]) for a in got) / len(got)
                set_row.append(
                    f"{any_col:.0%}" if tool == "nannyml" else f"{caught:.0%} / {any_col:.0%}"
                )
            set_lines.append("| " + " | ".join(set_row) + " |")
    return col_lines, set_lines


def goals(results, cells) -> list[str]:
    lines = []
    for dataset, window in cells:
        slip = answers(results, "slipway", keys_of(results, dataset, window, "none"))
        alarms = sum(a["dataset"] for a in slip)
        share, high = alarms / max(1, len(slip)), wilson(alarms, len(slip))[1]
        keys = keys_of(results, dataset, window, "mean+0.5sd")
        (s_hits, s_all), (e_hits, e_all) = (
            column_power(answers(results, t, keys)) for t in ("slipway", "evidently")
        )
        s_pw, e_pw = s_hits / max(1, s_all), e_hits / max(1, e_all)
        lines.append(
            f"- {dataset} {window} rows: false alarms {alarms}/{len(slip)} = {share:.1%} "
            f"(95% up to {high:.1%}): {'met' if share <= GOAL_FAR else 'NOT met'}; power on "
            f"+0.5 sd slipway {s_pw:.0%} vs Evidently {e_pw:.0%} (ratio "
            f"{s_pw / max(e_pw, 1e-9):.2f}): {'met' if s_pw >= e_pw else 'NOT met'}"
        )
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--null-runs", type=int, default=120, help="no-drift runs per dataset x window for slipway"
    )
    parser.add_argument(
        "--shared-null-runs",
        type=int,
        default=30,
        help="...of which Evidently and NannyML also run the first N",
    )
    parser.add_argument(
        "--shift-runs",
        type=int,
        default=8,
        help="runs per shifted case and dataset x window (all tools)",
    )
    parser.add_argument("--windows", default="30,100,200,1000")
    parser.add_argument("--tools", default="slipway,evidently,nannyml")
    parser.add_argument("--work", default=str(HERE / ".work"))
    parser.add_argument("--out", help="also write the markdown report here")
    parser.add_argument("--report-only", action="store_true", help="re-read the last results")
    args = parser.parse_args(argv)
    work, tools = Path(args.work), args.tools.split(",")
    windows = [int(w) for w in args.windows.split(",")]
    if not args.report_only:
        pythons = {tool: tool_python(tool) for tool in tools}
        paths = dc.write_datasets(work / "data")
        totals = {name: sum(1 for _ in open(path)) - 1 for name, path in paths.items()}
        runs = dc.runs(totals, windows, args.null_runs, args.shared_null_runs, args.shift_runs)
        (work / "runs.json").write_text(json.dumps(runs))
        print(
            f"{len(runs)} runs ({sum(r['shared'] for r in runs)} for every tool): "
            f"{args.null_runs} no-drift ({args.shared_null_runs} shared) and {args.shift_runs} "
            f"per shifted case in each dataset x window",
            flush=True,
        )
        started = time.perf_counter()
        env = {**os.environ, **QUIET}
        workers = [
            subprocess.Popen(
                [str(pythons[t]), str(HERE / "drift_worker.py"), t, str(work)], env=env
            )
            for t in tools
        ]
        if any(w.wait() for w in workers):
            print("a worker failed", file=sys.stderr)
            return 1
        print(f"all workers done in {time.perf_counter() - started:.0f} s")
    results = {tool: load(work, tool) for tool in ("slipway", "evidently", "nannyml")}
    frames = dc.read_datasets(work / "data")
    totals = {name: len(frame) for name, frame in frames.items()}
    columns = {name: frame.shape[1] for name, frame in frames.items()}
    cells = [(d, w) for d in dc.REFERENCE_ROWS for w in dc.windows_for(d, totals[d], windows)]
    seconds = {
        t: float((work / f"{t}.time").read_text()) for t in tools if (work / f"{t}.time").is_file()
    }
    per_run = {
        t: f"{seconds[t] / max(1, len(results[t])):.2f} s/run ({len(results[t])} runs)"
        for t in seconds
    }
    agree = [r["report_agrees"] for r in results["evidently"].values() if "report_agrees" in r]
    errors = {t: sum("error" in r for r in results[t].values()) for t in tools}
    col_lines, set_lines = power(results, cells)
    report = [
        "False alarms on no-drift splits: share of runs with a dataset-level drift verdict or "
        "any column flagged [95% Wilson interval]",
        "",
        *false_alarms(results, cells, columns),
        "",
        "Per-column power: share of the shifted columns flagged",
        "",
        *col_lines,
        "",
        "Shifted runs caught: dataset verdict / any column flagged",
        "",
        *set_lines,
        "",
        "Goals: slipway's dataset verdict <= 5% false alarms; per-column power on +0.5 sd >= "
        "Evidently's",
        "",
        *goals(results, cells),
        "",
        f"Time per tool: {per_run}; errors {errors}; Evidently's fast path == its full Report "
        f"on {sum(map(bool, agree))} of {len(agree)} checked runs.",
    ]
    text = "\n".join(report) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    sys.exit(main())
