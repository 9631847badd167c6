"""Prometheus rules and the Grafana dashboard use exactly the gateway's metrics and labels."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

INFRA = Path(__file__).resolve().parents[2] / "infra"

# The gateway's metrics (issue 7) and their labels; histograms also export _bucket/_sum/_count.
METRICS: dict[str, set[str]] = {
    "slipway_requests_total": {"model", "version", "variant", "code"},
    "slipway_request_latency_seconds": {"model", "version", "variant"},
    "slipway_batch_size": set(),
    "slipway_predictions_total": {"model", "version", "variant", "class"},
    "slipway_validation_rejections_total": {"model", "version", "variant"},
    "slipway_shadow_comparisons_total": {"model", "champion_version", "shadow_version", "agree"},
    "slipway_model_loaded": {"model", "version", "variant"},
    "slipway_model_load_failures_total": {"model"},
    "slipway_model_swaps_total": {"model"},
    "slipway_prediction_confidence": {"model", "version", "variant"},
}
HISTOGRAMS = {
    "slipway_request_latency_seconds",
    "slipway_batch_size",
    "slipway_prediction_confidence",
}
VARIANTS = {"champion", "canary", "shadow"}


def metric_names(expr: str) -> set[str]:
    """Every slipway_* metric an expression names, histogram suffixes folded onto the base name."""
    names = set()
    for name in re.findall(r"\bslipway_[a-z0-9_]+", expr):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        names.add(base if base in HISTOGRAMS else name)
    return names


def label_names(expr: str) -> set[str]:
    """Labels in by/without/on/ignoring clauses and in {label op value} selectors."""
    labels = set()
    for group in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr):
        labels |= {part.strip() for part in group.split(",") if part.strip()}
    for selector in re.findall(r"\{([^}]*)\}", expr):
        labels |= set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", selector))
    return labels


def variant_values(expr: str) -> set[str]:
    return set(re.findall(r'variant\s*=\s*"([^"]*)"', expr))


def rules() -> list[dict]:
    doc = yaml.safe_load((INFRA / "prometheus" / "rules.yml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    dash = json.loads((INFRA / "grafana" / "slipway-dashboard.json").read_text())
    return [target["expr"] for panel in dash["panels"] for target in panel["targets"]]


def all_exprs() -> list[tuple[str, str]]:
    return [(f"rule {r['alert']}", r["expr"]) for r in rules()] + [
        ("dashboard", e) for e in dashboard_exprs()
    ]


@pytest.mark.parametrize(
    ("expr", "names", "labels"),
    [
        ('rate(slipway_requests_total{code=~"5.."}[5m])', {"slipway_requests_total"}, {"code"}),
        (
            "sum by (model, le) (rate(slipway_request_latency_seconds_bucket[5m]))",
            {"slipway_request_latency_seconds"},
            {"model", "le"},
        ),
        ("slipway_batch_size_sum / slipway_batch_size_count", {"slipway_batch_size"}, set()),
        ("a and on (model) b", set(), {"model"}),
    ],
)
def test_the_loose_promql_parser(expr, names, labels):
    assert metric_names(expr) == names
    assert label_names(expr) == labels


@pytest.mark.parametrize(("where", "expr"), all_exprs())
def test_every_metric_and_label_is_one_the_gateway_exports(where, expr):
    names = metric_names(expr)
    assert names, f"{where}: names no slipway metric"
    unknown = names - METRICS.keys()
    assert not unknown, f"{where}: unknown metrics {sorted(unknown)}"
    allowed = set().union(*(METRICS[n] for n in names)) | ({"le"} if names & HISTOGRAMS else set())
    assert label_names(expr) <= allowed, (
        f"{where}: labels {sorted(label_names(expr) - allowed)} not exported"
    )
    assert variant_values(expr) <= VARIANTS


def test_the_required_alerts_exist_with_summaries():
    by_metric: dict[str, list[dict]] = {}
    for rule in rules():
        assert rule["labels"]["severity"] in {"page", "warn", "info"}
        assert rule["annotations"]["summary"]
        for name in metric_names(rule["expr"]):
            by_metric.setdefault(name, []).append(rule)
    error_rules = [r for r in by_metric["slipway_requests_total"] if '"5.."' in r["expr"]]
    assert error_rules and "variant" in label_names(error_rules[0]["expr"])
    assert any(
        "histogram_quantile(0.99" in r["expr"] for r in by_metric["slipway_request_latency_seconds"]
    )
    assert by_metric["slipway_validation_rejections_total"]
    assert by_metric["slipway_model_load_failures_total"]
    assert any("== 0" in r["expr"] for r in by_metric["slipway_requests_total"])  # no traffic
    assert by_metric["slipway_prediction_confidence"]  # a confidence drop


def test_dashboard_panels_have_unique_ids_and_the_provisioned_datasource():
    dash = json.loads((INFRA / "grafana" / "slipway-dashboard.json").read_text())
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    source = yaml.safe_load(
        (INFRA / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    uid = source["datasources"][0]["uid"]
    assert all(p["datasource"]["uid"] == uid for p in dash["panels"])
    shown = set().union(*(metric_names(e) for e in dashboard_exprs()))
    assert shown == METRICS.keys(), f"metrics without a panel: {sorted(METRICS.keys() - shown)}"


@pytest.mark.skipif(
    shutil.which("promtool") is None,
    reason="promtool not installed: apt-get install -y --no-install-recommends prometheus "
    "(.ci/run does this when it runs as root)",
)
@pytest.mark.parametrize(("check", "path"), [("config", "prometheus.yml"), ("rules", "rules.yml")])
def test_promtool_accepts_the_prometheus_files(check, path):
    done = subprocess.run(
        ["promtool", "check", check, str(INFRA / "prometheus" / path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
