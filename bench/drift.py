"""Drift-monitor benchmark: whylogs profiling throughput, the cost of merging, and verdicts and
time against tests on the raw data, on the same shifted data in the same run.

    PYTHONPATH=. .venv/bin/python bench/drift.py [--rows 1000000] [--columns 20] [--chunks 10]

Data: a reference of `rows/5` rows and a current window of `rows` rows, `columns` float32
columns; the current window shifts five columns: c00 mean +0.5 sd, c01 mean +0.2 sd, c02 sd x2,
c03 mean +0.03 sd (statistically significant at this size, practically negligible), c04 all
values +1 sd. Baselines: scipy's two-sample KS on the raw arrays (p < 0.05, the classic
verdict, and D >= 0.1, the effect-size verdict slipway's policy uses), and Evidently's
DataDriftPreset when it imports (it does not with pandas 3: the reason is printed;
`bench/drift_null.py` runs it, and NannyML, in their own virtualenvs).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

SHIFTS = {
    "c00": ("mean", 0.5),
    "c01": ("mean", 0.2),
    "c02": ("scale", 2.0),
    "c03": ("mean", 0.03),
    "c04": ("mean", 1.0),
}


def make(rows: int, columns: int, seed: int, shifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {}
    for i in range(columns):
        name = f"c{i:02d}"
        x = rng.normal(i % 7, 1 + i % 3, rows)
        kind, amount = SHIFTS.get(name, (None, 0.0)) if shifted else (None, 0.0)
        sd = 1 + i % 3
        if kind == "mean":
            x = x + amount * sd
        elif kind == "scale":
            x = (x - i % 7) * amount + i % 7
        data[name] = x.astype(np.float32)
    return pd.DataFrame(data)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def evidently_verdicts(reference, current):
    try:
        from evidently import Report
        from evidently.presets import DataDriftPreset
    except Exception as exc:  # report why the comparison could not run, do not hide it
        return None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    report = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    return report.dict(), ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--chunks", type=int, default=10, help="replica/window profiles to merge")
    parser.add_argument(
        "--extra-path",
        help="a folder with Evidently installed (pip install --target), "
        "appended to sys.path for the comparison",
    )
    args = parser.parse_args(argv)
    if args.extra_path:
        sys.path.append(args.extra_path)

    from scipy.stats import ks_2samp

    from slipway.core.drift_policy import DriftPolicy
    from slipway.drift import profiles, scoring

    reference = make(args.rows // 5, args.columns, 1, shifted=False)
    current = make(args.rows, args.columns, 2, shifted=True)
    policy = DriftPolicy()
    cells = args.rows * args.columns
    print(
        f"data: reference {len(reference):,} rows, current {len(current):,} rows "
        f"x {args.columns} float32 columns"
    )

    profiles.profile_frame(reference.head(1000))  # import and warm whylogs outside the timings
    ref_view, t_ref = timed(lambda: profiles.profile_frame(reference))
    cur_view, t_one = timed(lambda: profiles.profile_frame(current))
    print(
        f"profile whole window: {t_one:.2f} s = {args.rows / t_one:,.0f} rows/s "
        f"({cells / t_one / 1e6:.1f} M cells/s)"
    )

    parts = np.array_split(np.arange(args.rows), args.chunks)
    views, t_chunks = timed(lambda: [profiles.profile_frame(current.iloc[idx]) for idx in parts])
    blobs, t_ser = timed(lambda: [profiles.serialize(v) for v in views])
    restored, t_de = timed(lambda: [profiles.deserialize(b) for b in blobs])
    merged, t_merge = timed(lambda: profiles.merge(restored))
    size = sum(map(len, blobs)) / len(blobs)
    print(
        f"profile in {args.chunks} chunks: {t_chunks:.2f} s; serialize {t_ser * 1e3:.0f} ms, "
        f"deserialize {t_de * 1e3:.0f} ms, merge {t_merge * 1e3:.0f} ms "
        f"({t_merge / args.chunks * 1e3:.1f} ms per profile, {size / 1024:.0f} KiB each)"
    )

    whole, t_score = timed(lambda: scoring.score(ref_view, cur_view, policy))
    from_parts = scoring.score(ref_view, merged, policy)
    slipway_flags = sorted(f.name for f in whole.drifted)
    parts_flags = sorted(f.name for f in from_parts.drifted)
    print(f"score {args.columns} columns from sketches: {t_score * 1e3:.0f} ms")

    def scipy_all():
        return {
            c: ks_2samp(reference[c].to_numpy(), current[c].to_numpy()) for c in current.columns
        }

    raw, t_scipy = timed(scipy_all)
    scipy_p = sorted(c for c, r in raw.items() if r.pvalue < 0.05)
    scipy_d = sorted(c for c, r in raw.items() if r.statistic >= 0.1)
    sketch_d = {f.name: f.statistic for f in whole.features}
    sketch_p = sorted(f.name for f in whole.features if f.pvalue is not None and f.pvalue < 0.05)
    worst = max(abs(sketch_d[c] - raw[c].statistic) for c in current.columns)

    ev, why = evidently_verdicts(reference, current)
    print()
    print("| method | time (s) | flagged columns |")
    print("|---|---|---|")
    print(
        f"| slipway: whylogs profile (ref + cur) + sketch KS, D >= 0.1 and BH-adjusted p < 0.05 | "
        f"{t_ref + t_one + t_score:.2f} | {', '.join(slipway_flags)} |"
    )
    print(f"| slipway, {args.chunks} merged profiles | - | {', '.join(parts_flags)} |")
    print(
        f"| whylogs sketch KS, p < 0.05 only (whylogs' default rule) | - | {', '.join(sketch_p)} |"
    )
    print(f"| scipy ks_2samp on raw data, p < 0.05 | {t_scipy:.2f} | {', '.join(scipy_p)} |")
    print(f"| scipy ks_2samp on raw data, D >= 0.1 | {t_scipy:.2f} | {', '.join(scipy_d)} |")
    print(f"| Evidently DataDriftPreset | - | {'ran' if ev else 'not run: ' + why} |")
    print()
    print(
        f"verdicts: sketch == raw effect-size: {slipway_flags == scipy_d}; merged == whole: "
        f"{parts_flags == slipway_flags}; max |D_sketch - D_raw| = {worst:.4f}"
    )
    print(
        f"ratio: scipy on raw data / sketch scoring = {t_scipy / t_score:.1f}x (scoring only); "
        f"profiling cost per window = {t_one / t_scipy:.2f}x one raw scipy pass"
    )
    return 0 if slipway_flags == scipy_d and parts_flags == slipway_flags else 1


if __name__ == "__main__":
    sys.path.insert(0, ".")
    sys.exit(main())
