"""Drift verdicts under the null and under shifts: slipway beside Evidently's and NannyML's
defaults, on the same reference/current splits, in one run.

    PYTHONPATH=. .venv/bin/python bench/drift_null.py [--null-runs 100] [--shift-runs 15]
        [--windows 30,100,200,1000] [--tools slipway,evidently,nannyml] [--out FILE.md]

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
from dataclasses import asdict
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


def verdicts(result: dict, variant: str | None) -> dict | None:
    """The run's result (or a slipway variant's); None when the tool had no answer (n/a)."""
    if "na" in result or "error" in result:
        return None
    return result["variants"][variant] if variant else result


COLUMNS = [  # (heading, tool, variant)
    ("slipway (BH)", "slipway", None),
    ("slipway, Holm", "slipway", "holm"),
    ("slipway, no correction", "slipway", "none"),
    ("Evidently", "evidently", None),
    ("NannyML", "nannyml", None),
]


def false_alarms(results, cells) -> list[str]:
    head = (
        "| dataset | window | runs | "
        + " | ".join(f"{h}: dataset verdict | {h}: any column" for h, _, _ in COLUMNS)
        + " |"
    )
    lines = [head, "|" + "---|" * (3 + 2 * len(COLUMNS))]
    for dataset, window in cells:
        keys = [k for k in results["slipway"] if k.startswith(f"{dataset}/{window}/none/")]
        row = [dataset, str(window), str(len(keys))]
        for _, tool, variant in COLUMNS:
            answers = [verdicts(results[tool][k], variant) for k in keys if k in results[tool]]
            answers = [a for a in answers if a is not None]
            if tool == "nannyml" and variant is None and not answers:
                row += ["n/a", "n/a"]
                continue
            row.append(rate(sum(a["dataset"] for a in answers), len(answers)))
            row.append(rate(sum(bool(a["flagged"]) for a in answers), len(answers)))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def power(results, cells) -> tuple[list[str], list[str]]:
    """Per-column power (shifted columns flagged) and dataset-level detection, per case."""
    col_lines = [
        "| dataset | case | window | " + " | ".join(h for h, _, _ in COLUMNS) + " |",
        "|" + "---|" * (3 + len(COLUMNS)),
    ]
    set_lines = [
        "| dataset | case | window | "
        + " | ".join(f"{h}: dataset verdict / any column" for h, _, _ in COLUMNS)
        + " |",
        "|" + "---|" * (3 + len(COLUMNS)),
    ]
    for case in dc.CASES[1:]:
        for dataset, window in cells:
            keys = [k for k in results["slipway"] if k.startswith(f"{dataset}/{window}/{case}/")]
            if not keys:
                continue
            col_row, set_row = [dataset, case, str(window)], [dataset, case, str(window)]
            for _, tool, variant in COLUMNS:
                pairs = [
                    (verdicts(results[tool][k], variant), results[tool][k].get("shifted", []))
                    for k in keys
                    if k in results[tool]
                ]
                pairs = [(a, s) for a, s in pairs if a is not None]
                if not pairs:
                    col_row.append("n/a")
                    set_row.append("n/a")
                    continue
                hits = sum(len(set(a["flagged"]) & set(s)) for a, s in pairs)
                targets = sum(len(s) for _, s in pairs)
                col_row.append(rate(hits, targets, interval=False) if targets else "-")
                caught = sum(a["dataset"] for a, _ in pairs)
                any_col = sum(bool(a["flagged"]) for a, _ in pairs)
                set_row.append(f"{caught / len(pairs):.0%} / {any_col / len(pairs):.0%}")
            col_lines.append("| " + " | ".join(col_row) + " |")
            set_lines.append("| " + " | ".join(set_row) + " |")
    return col_lines, set_lines


def goals(results, cells) -> list[str]:
    lines = []
    for dataset, window in cells:
        keys = [k for k in results["slipway"] if k.startswith(f"{dataset}/{window}/none/")]
        alarms = sum(results["slipway"][k]["dataset"] for k in keys)
        share, (low, high) = alarms / max(1, len(keys)), wilson(alarms, len(keys))
        mark = "met" if share <= GOAL_FAR else "NOT met"
        lines.append(
            f"- false alarms {dataset} {window} rows: {share:.1%} (95% up to {high:.1%}): {mark}"
        )
        pw = {}
        for tool in ("slipway", "evidently"):
            shifted = [
                results[tool].get(k)
                for k in results["slipway"]
                if k.startswith(f"{dataset}/{window}/mean+0.5sd/")
            ]
            shifted = [r for r in shifted if r and "flagged" in r]
            targets = sum(len(r["shifted"]) for r in shifted)
            pw[tool] = sum(len(set(r["flagged"]) & set(r["shifted"])) for r in shifted) / max(
                1, targets
            )
        mark = "met" if pw["slipway"] >= pw["evidently"] else "NOT met"
        lines.append(
            f"- power on +0.5 sd {dataset} {window} rows: slipway {pw['slipway']:.0%} vs "
            f"Evidently {pw['evidently']:.0%} (ratio {pw['slipway'] / max(pw['evidently'], 1e-9):.2f}): "
            f"{mark}"
        )
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--null-runs", type=int, default=100, help="no-drift runs per cell")
    parser.add_argument("--shift-runs", type=int, default=15, help="runs per shifted case and cell")
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
        runs = dc.runs(totals, windows, args.null_runs, args.shift_runs)
        (work / "runs.json").write_text(json.dumps([asdict(r) for r in runs]))
        print(
            f"{len(runs)} runs per tool ({args.null_runs} no-drift and {args.shift_runs} per "
            f"shifted case in each dataset x window)",
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
    totals = {name: len(frame) for name, frame in dc.read_datasets(work / "data").items()}
    cells = [(d, w) for d in dc.REFERENCE_ROWS for w in dc.windows_for(d, totals[d], windows)]
    seconds = {
        t: (work / f"{t}.time").read_text().strip() for t in tools if (work / f"{t}.time").is_file()
    }
    runs_per_tool = {t: len(results[t]) for t in tools}
    agree = [r.get("report_agrees") for r in results["evidently"].values() if "report_agrees" in r]
    errors = {t: sum("error" in r for r in results[t].values()) for t in tools}
    col_lines, set_lines = power(results, cells)
    report = [
        "False alarms: share of no-drift runs with a dataset-level drift verdict, and with any "
        "column flagged (95% Wilson interval)",
        "",
        *false_alarms(results, cells),
        "",
        "Per-column power: share of the shifted columns flagged",
        "",
        *col_lines,
        "",
        "Shifted runs caught: dataset verdict / any column flagged",
        "",
        *set_lines,
        "",
        "Goals (slipway's dataset verdict <= 5% false alarms; power on +0.5 sd >= Evidently's):",
        *goals(results, cells),
        "",
        f"Seconds per tool (all runs, parallel workers): {seconds}; runs {runs_per_tool}; "
        f"errors {errors}; Evidently fast path == full Report on {sum(map(bool, agree))} of "
        f"{len(agree)} checked runs.",
    ]
    text = "\n".join(report) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    sys.exit(main())
