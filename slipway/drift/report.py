"""The drift report: markdown (Prefect artifact), a PNG chart of per-feature drift against
the thresholds (matplotlib, Agg backend), JSON for the artifact store."""

from __future__ import annotations

import io

from slipway.core.drift import DriftScores, FeatureScore
from slipway.drift.params import MonitorResult


def _row(score: FeatureScore) -> str:
    stat = "n/a" if score.statistic is None else f"{score.statistic:.3f}"
    p = "" if score.pvalue is None else f"{score.pvalue:.2g}"
    if score.adjusted_pvalue is not None and f"{score.adjusted_pvalue:.2g}" != p:
        p += f" (adjusted {score.adjusted_pvalue:.2g})"
    mark = "**drift**" if score.drifted else ""
    if score.nulls is not None and score.nulls.drifted:
        mark += f" {score.nulls.describe()}"
    if score.unscorable:
        mark += f" not scored: {score.unscorable}"
    cells = [score.name, score.test, stat, f"{score.threshold:g}", p, f"{score.weight:g}", mark]
    return "| " + " | ".join(cells) + " |"


def markdown(result: MonitorResult, chart_uri: str | None = None) -> str:
    d = result.decision
    lines = [
        f"# Drift monitor: {result.model_name} v{result.version or '?'}",
        "",
        f"Window {result.window_start.isoformat()} .. {result.window_end.isoformat()}: "
        f"{len(result.profiles)} profile(s), {result.scores.rows if result.scores else 0} rows.",
        "",
        f"**Decision: `{d.action}`**"
        + (f" (policy asked for `{d.suppressed}`)" if d.suppressed else ""),
        "",
        *[f"- {reason}" for reason in d.reasons],
    ]
    if result.action:
        lines += [
            "",
            f"Opened `{result.action.action}` via {result.action.via}: "
            f"flow run {result.action.flow_run_id}",
        ]
    if result.skipped:
        lines += ["", "Skipped profiles:", *[f"- `{k}`: {v}" for k, v in result.skipped.items()]]
    scores = result.scores
    if scores is not None:
        perf = scores.performance
        if perf is not None:
            lines += [
                "",
                f"Performance: {perf.metric} {perf.current:.4f} on {perf.rows} labelled rows "
                f"(at release {perf.baseline:.4f}, drop {perf.drop:.4f})",
            ]
            if perf.previous is not None:
                verdict = "better beyond the noise" if perf.previous.better else "no better"
                lines.append(f"Counterfactual: {perf.previous.describe()}: {verdict}.")
            elif perf.previous_error:
                lines.append(f"Counterfactual: `previous` not evaluated: {perf.previous_error}.")
        elif result.decision.action not in ("no-data", "none"):
            lines += ["", "No labelled window: `previous` could not be compared with the champion."]
        ordered = sorted(
            scores.features, key=lambda f: (not f.drifted, -(f.statistic or 0), f.name)
        )
        if scores.prediction is not None:
            ordered.insert(0, scores.prediction)
        lines += [
            "",
            "| column | test | statistic | threshold | p-value | weight | |",
            "|---|---|---|---|---|---|---|",
            *[_row(s) for s in ordered],
        ]
        if scores.tests:
            lines += ["", f"p-values adjusted over {scores.tests} tests ({scores.correction})."]
        if scores.missing:
            lines += ["", "Missing from production: " + ", ".join(scores.missing)]
    if chart_uri:
        lines += ["", f"Chart: {chart_uri}"]
    return "\n".join(lines) + "\n"


def chart_png(scores: DriftScores, title: str) -> bytes:
    """Bars: each column's statistic; ticks: its threshold; red bars drifted."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    columns = list(scores.features) + ([scores.prediction] if scores.prediction else [])
    values = [min(1.0, c.statistic) if c.statistic is not None else 0.0 for c in columns]
    colors = ["#d62728" if c.drifted else "#1f77b4" for c in columns]
    fig = Figure(figsize=(max(6.0, 0.18 * len(columns) + 2), 4.0), dpi=100)
    ax = fig.add_subplot()
    xs = range(len(columns))
    ax.bar(xs, values, color=colors, width=0.8, label="statistic (red: drift)")
    ax.scatter(
        xs,
        [c.threshold for c in columns],
        marker="_",
        s=120,
        color="black",
        zorder=3,
        label="threshold",
    )
    ax.set_xticks(list(xs))
    ax.set_xticklabels([c.name for c in columns], rotation=90, fontsize=6)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("drift statistic (0..1)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def metrics(result: MonitorResult) -> dict[str, float]:
    """Numbers for the champion's MLflow monitoring run."""
    scores = result.scores
    out = {
        "drift_rows": float(scores.rows if scores else 0),
        "drift_no_data": float(result.decision.action == "no-data"),
    }
    if scores is None:
        return out
    out["drift_features_drifted"] = float(len(scores.drifted))
    out["drift_weighted_share"] = scores.weighted_share()
    for f in scores.features + ([scores.prediction] if scores.prediction else []):
        if f.statistic is not None:
            out[f"drift_{f.name}"] = min(1.0, f.statistic)
    if scores.performance is not None:
        out[f"window_{scores.performance.metric}"] = scores.performance.current
    return out
