"""The benchmark as a markdown table, a one-line summary and a PNG chart (matplotlib Agg)."""

from __future__ import annotations

from pathlib import Path

from slipway.core.latency import SelectionOutcome


def _f(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def markdown_table(rows, outcome: SelectionOutcome) -> str:
    """Batch-1 latency per model, best throughput, size, memory, and the verdict per row."""
    batch_sizes = sorted({b["batch"] for r in rows for b in r.batches})
    head = [
        "model",
        "runtime",
        "prec",
        "thr",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "mean ms",
        "cv",
        "vs base",
    ]
    head += [f"rows/s b{b}" for b in batch_sizes]
    head += ["load s", "peak MB", "size KB", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lat = r.latency or {}
        cells = [r.name, r.runtime, r.precision, str(r.threads or "-")]
        cells += [
            _f(lat.get(k)) for k in ("p50_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms")
        ]
        cells.append(_f(lat.get("cv"), 2) + (" noisy" if lat.get("noisy") else ""))
        cells.append(f"{r.speedup_vs_baseline:.2f}x" if r.speedup_vs_baseline else "-")
        for b in batch_sizes:
            best = max((x["throughput"] for x in r.batches if x["batch"] == b), default=None)
            cells.append(_f(best, 0))
        cells += [
            _f(r.load_s, 2),
            _f(r.peak_rss_mb, 0),
            _f(r.size_bytes / 1024 if r.size_bytes else None, 1),
        ]
        if r.name == outcome.candidate:
            verdict = "**selected**"
        else:
            verdict = outcome.losers.get(r.name, "") or (f"failed: {r.error}" if r.error else "")
        cells.append(verdict.replace("|", "/"))
        lines.append("| " + " | ".join(cells) + " |")
    gate = f"SLO p99 <= {outcome.slo_p99_ms:g} ms at batch 1"
    if outcome.min_throughput is not None:
        gate += f", throughput >= {outcome.min_throughput:g} rows/s"
    verdict = (
        f"selected **{outcome.candidate}**: {outcome.why}"
        if outcome.passed
        else f"GATE FAILED: {outcome.why}"
    )
    return "\n".join(lines) + f"\n\n{gate}. {verdict}\n"


def summary_line(rows, outcome: SelectionOutcome) -> str:
    measured = sum(1 for r in rows if r.status == "ok")
    if outcome.passed:
        winner = next(r for r in rows if r.name == outcome.candidate)
        return (
            f"benchmark-latency: selected {outcome.candidate} (p50 {winner.latency['p50_ms']:.3f} "
            "ms, "
            f"p99 {winner.latency['p99_ms']:.3f} ms at batch 1; {measured}/{len(rows)} models "
            "measured)"
        )
    return f"benchmark-latency: gate failed: {outcome.why} ({measured}/{len(rows)} models measured)"


def chart(rows, path: Path) -> Path:
    """Median latency per call for each model and batch size (log scale), at each model's best
    threads."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measured = [r for r in rows if r.batches]
    batch_sizes = sorted({b["batch"] for r in measured for b in r.batches})
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(measured) + 3), 4), dpi=100)
    width = 0.8 / max(1, len(batch_sizes))
    for i, batch in enumerate(batch_sizes):
        values = []
        for r in measured:
            points = [
                b["p50_ms"] for b in r.batches if b["batch"] == batch and b["threads"] == r.threads
            ]
            values.append(points[0] if points else 0.0)
        ax.bar([x + i * width for x in range(len(measured))], values, width, label=f"batch {batch}")
    ax.set_xticks([x + width * (len(batch_sizes) - 1) / 2 for x in range(len(measured))])
    ax.set_xticklabels([r.name for r in measured], rotation=20, ha="right")
    ax.set_ylabel("p50 latency per call (ms)")
    if measured:
        ax.set_yscale("log")
    ax.set_title("benchmark-latency: latency per model and batch size")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def text_table(head: list[str], rows: list[list[str]]) -> list[str]:
    """Columns aligned with spaces (numbers right-aligned), for a terminal."""
    widths = [max(len(str(c)) for c in column) for column in zip(head, *rows, strict=True)]

    def line(cells) -> str:
        out = []
        for cell, width in zip(cells, widths, strict=True):
            text = str(cell)
            numeric = text.replace(".", "", 1).replace("x", "").replace("-", "").isdigit()
            out.append(text.rjust(width) if numeric else text.ljust(width))
        return "  ".join(out).rstrip()

    return [line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def stored_table_lines(rows: list, selected: str | None = None) -> list[str]:
    """The benchmark table a version's evidence stores (benchmark-latency's rows), as text:
    batch-1 latency, best throughput per batch size, size and status per model. Rows of another
    shape are shown column by column."""
    rows = [r for r in rows if isinstance(r, dict)]
    if not rows:
        return []
    if not all("latency" in r or "batches" in r for r in rows):
        head = list(dict.fromkeys(k for r in rows for k, v in r.items() if not _nested(v)))
        return text_table(head, [[_cell(r.get(k)) for k in head] for r in rows])
    batch_sizes = sorted({b.get("batch") for r in rows for b in r.get("batches") or []})
    head = ["model", "runtime", "prec", "thr", "p50 ms", "p95 ms", "p99 ms"]
    head += [f"rows/s b{b}" for b in batch_sizes] + ["size KB", "status"]
    body = []
    for r in rows:
        lat = r.get("latency") or {}
        cells = [r.get("name", "-"), r.get("runtime", "-"), r.get("precision", "-")]
        cells += [str(r.get("threads") or "-")]
        cells += [_f(lat.get(k)) for k in ("p50_ms", "p95_ms", "p99_ms")]
        for b in batch_sizes:
            found = [x["throughput"] for x in r.get("batches") or [] if x.get("batch") == b]
            cells.append(_f(max(found), 0) if found else "-")
        size = r.get("size_bytes")
        cells.append(_f(size / 1024 if size else None, 1))
        status = r.get("status", "-")
        cells.append("selected" if r.get("name") == selected else status)
        body.append(cells)
    return text_table(head, body)


def host_lines(host: dict) -> list[str]:
    """The benchmark host, one `key: value` line each; nested records summarised (the INT8
    instruction sets present, library versions, thread variables that are set)."""
    lines = []
    for key, value in host.items():
        if isinstance(value, dict) and value and all(isinstance(v, bool) for v in value.values()):
            shown = ", ".join(k for k, v in value.items() if v) or "none"
        elif isinstance(value, dict):
            shown = ", ".join(f"{k} {v}" for k, v in value.items() if v not in ("", None)) or "-"
        elif isinstance(value, list):
            shown = ", ".join(map(str, value)) or "-"
        elif isinstance(value, float):
            shown = f"{value:.2f}"
        else:
            shown = "-" if value is None else str(value)
        lines.append(f"{key.replace('_', ' ')}: {shown}")
    return lines


def _nested(value) -> bool:
    return isinstance(value, dict | list)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return _f(value)
    return str(value)
