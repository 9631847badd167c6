"""The data of the drift false-alarm / power bench (`bench/drift_null.py`): the datasets and
every reference/current split, rebuilt identically by each tool's worker in its own virtualenv.

Only the standard library, NumPy and pandas: the workers run under Evidently's and NannyML's
virtualenvs too. Row choices use Python's `random.Random(seed)` (the same stream in every
venv of one interpreter), so a run is named by (dataset, window, case, seed) alone.

Datasets (written once to CSV by the bench, read by every worker):
- `digits`: scikit-learn's 1,797 8x8 digit images, 64 integer pixel columns plus the class as
  a categorical `label`; reference 797 rows (Evidently picks its tests below 1,000 rows).
- `breast_cancer`: scikit-learn's 569 tumours, 30 float columns plus `label`; reference 369.
- `mixed`: a generated table of 60,000 rows (seed 7): 9 numeric columns (normal, lognormal,
  Poisson counts, one with 5% nulls), categoricals with 2, 4, 6 and 200 (Zipf) categories;
  reference 5,000 rows (Evidently switches to distances above 1,000 rows).

Cases: `none` (no drift) and shifts of the current window: `mean+0.25sd` / `mean+0.5sd` /
`scale1.5` in the dataset's SHIFTED columns, `subpopulation` (current rows from one part of
the data only), `categorical` (a category's frequency changed), `missing` (20% of the values
of the SHIFTED columns set to null). Reference and current rows never overlap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REFERENCE_ROWS = {"digits": 797, "breast_cancer": 369, "mixed": 5000}
SHIFTED = {
    "digits": ["pixel_21", "pixel_26", "pixel_36", "pixel_43"],
    "breast_cancer": ["mean radius", "mean texture", "worst smoothness", "mean symmetry"],
    "mixed": ["x0", "x1", "x6", "x8"],
}
CATEGORICAL = {"digits": "label", "breast_cancer": "label", "mixed": "channel"}
CASES = ("none", "mean+0.25sd", "mean+0.5sd", "scale1.5", "subpopulation", "categorical", "missing")
MISSING_SHARE = 0.2


class NotEnoughRows(ValueError):
    """The dataset cannot supply this case at this window size (reported as n/a)."""


@dataclass(frozen=True)
class Run:
    dataset: str
    window: int
    case: str
    seed: int

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.window}/{self.case}/{self.seed}"


def write_datasets(folder: Path) -> dict[str, Path]:
    """The three datasets as CSV files in `folder` (made by the bench's own venv)."""
    from sklearn.datasets import load_breast_cancer, load_digits

    folder.mkdir(parents=True, exist_ok=True)
    digits = load_digits(as_frame=True)
    frame = digits.data.copy()
    frame.columns = [f"pixel_{i:02d}" for i in range(frame.shape[1])]  # as slipway's digits
    frame["label"] = [f"digit_{t}" for t in digits.target]
    cancer = load_breast_cancer(as_frame=True)
    cancer_frame = cancer.data.copy()
    cancer_frame["label"] = [cancer.target_names[t] for t in cancer.target]
    paths = {}
    for name, data in (
        ("digits", frame),
        ("breast_cancer", cancer_frame),
        ("mixed", mixed(60_000)),
    ):
        paths[name] = folder / f"{name}.csv"
        data.to_csv(paths[name], index=False)
    return paths


def mixed(rows: int, seed: int = 7) -> pd.DataFrame:
    """The generated mixed numeric + categorical table."""
    rng = np.random.default_rng(seed)
    data = {f"x{i}": rng.normal(i, 1 + i % 3, rows) for i in range(6)}
    data["x6"] = rng.lognormal(0, 0.6, rows)
    data["x7"] = rng.poisson(3, rows).astype(float)
    x8 = rng.normal(10, 2, rows)
    x8[rng.random(rows) < 0.05] = np.nan
    data["x8"] = x8
    data["flag"] = np.where(rng.random(rows) < 0.3, "yes", "no")
    data["channel"] = rng.choice(
        ["web", "store", "phone", "partner"], rows, p=[0.5, 0.25, 0.15, 0.1]
    )
    data["region"] = rng.choice([f"r{i}" for i in range(6)], rows)
    weights = 1 / np.arange(1, 201) ** 0.8
    data["merchant"] = rng.choice(
        [f"m{i:03d}" for i in range(200)], rows, p=weights / weights.sum()
    )
    return pd.DataFrame(data)


def read_datasets(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(folder / f"{name}.csv") for name in REFERENCE_ROWS}


def windows_for(dataset: str, total_rows: int, windows: list[int]) -> list[int]:
    """The window sizes that fit beside the reference (breast_cancer has no 1,000-row window)."""
    return [w for w in windows if REFERENCE_ROWS[dataset] + w <= total_rows]


def build(run: Run, base: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(reference, current, the columns the case shifted) for one run."""
    rng = random.Random(f"{run.key}")
    order = list(range(len(base)))
    rng.shuffle(order)
    n_ref = REFERENCE_ROWS[run.dataset]
    ref_rows, rest = order[:n_ref], order[n_ref:]
    reference = base.iloc[ref_rows].reset_index(drop=True)
    columns = SHIFTED[run.dataset]
    if run.case == "subpopulation":
        keep = _subpopulation(run.dataset, base.iloc[rest])
        pool = [r for r, k in zip(rest, keep, strict=True) if k]
        if len(pool) < run.window:
            raise NotEnoughRows(f"{len(pool)} rows of the subpopulation left for {run.window}")
        return reference, base.iloc[pool[: run.window]].reset_index(drop=True), []
    if run.case == "categorical":
        rows = _reweighted(base, rest, CATEGORICAL[run.dataset], run.window)
        return reference, base.iloc[rows].reset_index(drop=True), [CATEGORICAL[run.dataset]]
    current = base.iloc[rest[: run.window]].reset_index(drop=True).copy()
    if run.case == "none":
        return reference, current, []
    for column in columns:
        values = current[column].astype(float)
        sd, mean = float(base[column].std()), float(base[column].mean())
        if run.case.startswith("mean+"):
            values = values + float(run.case[5:-2]) * sd
        elif run.case == "scale1.5":
            values = (values - mean) * 1.5 + mean
        elif run.case == "missing":
            hit = rng.sample(range(len(values)), round(MISSING_SHARE * len(values)))
            values.iloc[hit] = np.nan
        else:
            raise ValueError(f"unknown case {run.case!r}")
        current[column] = values
    return reference, current, list(columns)


def _subpopulation(dataset: str, rows: pd.DataFrame) -> list[bool]:
    """Rows of one part of the population: five of ten digits, malignant tumours, web sales."""
    if dataset == "digits":
        return rows["label"].isin([f"digit_{d}" for d in range(5)]).tolist()
    if dataset == "breast_cancer":
        return (rows["label"] == "malignant").tolist()
    return (rows["channel"] == "web").tolist()


def _reweighted(base, rest, column, window) -> list[int]:
    """`window` rows where the first category (sorted) is twice as frequent as in the data
    (or, past half the rows, half as rare: 63% benign tumours become 82%)."""
    values = base[column].to_numpy()
    first = sorted(set(values))[0]
    share = float(np.mean(values == first))
    wanted = 2 * share if share < 0.5 else 1 - (1 - share) / 2
    hits = [r for r in rest if values[r] == first]
    others = [r for r in rest if values[r] != first]
    n_hit = round(wanted * window)
    if n_hit > len(hits) or window - n_hit > len(others):
        raise NotEnoughRows(f"{len(hits)} rows of {first!r} left, {n_hit} needed")
    return hits[:n_hit] + others[: window - n_hit]


def runs(
    datasets: dict[str, int],
    windows: list[int],
    null_runs: int,
    shared_null_runs: int,
    shift_runs: int,
) -> list[dict]:
    """Every run of the bench with the tools that run it: all tools run the first
    `shared_null_runs` no-drift splits and every shifted case; slipway (cheap) runs all
    `null_runs` no-drift splits, for a tighter interval on its false-alarm rate."""
    out = []
    for dataset, total in datasets.items():
        for window in windows_for(dataset, total, windows):
            for case in CASES:
                count = max(null_runs, shared_null_runs) if case == "none" else shift_runs
                for seed in range(count):
                    shared = case != "none" or seed < shared_null_runs
                    out.append(
                        {
                            "dataset": dataset,
                            "window": window,
                            "case": case,
                            "seed": seed,
                            "shared": shared,
                        }
                    )
    return out
