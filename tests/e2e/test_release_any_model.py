"""A held-out scikit-learn model (breast cancer, skops) through the whole release end to end:
version 1 from file to champion with one `slipway release`, then a second version of it through
the canary on a real gateway subprocess under live traffic; no request may fail."""

from __future__ import annotations

import pytest

from flows.release import release
from slipway import registry
from slipway.canary.traffic import BackgroundTraffic
from slipway.canary.traffic_data import load_rows
from slipway.cli import main
from slipway.core.canary import CanaryPolicy
from slipway.release.params import CanaryOptions, ReleaseParams
from tests.support.heldout import TARGET, make_heldout

testing = pytest.importorskip("slipway.serving.testing", reason="needs the gateway")
pytestmark = pytest.mark.slow

# a shared 2-core test machine: p99 over a few dozen requests is mostly scheduling noise
POLICY = CanaryPolicy(
    min_requests=8, latency_tolerance_ms=150.0, max_p99_latency_ratio=2.0, failure_limit=1
)


def test_a_heldout_model_from_file_to_champion_then_a_second_version_through_the_canary(
    tmp_path,
):
    heldout = make_heldout(tmp_path / "heldout")
    data = {
        "eval_data": str(heldout.eval_data),
        "reference_data": str(heldout.reference_data),
        "target_column": TARGET,
    }
    # version 1: one command, file -> champion
    first = heldout.model("cancer")
    assert (
        main(
            [
                "release",
                str(first),
                "--eval-data",
                data["eval_data"],
                "--reference-data",
                data["reference_data"],
                "--target-column",
                TARGET,
                "--targets",
                "onnx-fp32",
            ]
        )
        == 0
    )
    assert registry.open_registry().alias("cancer", registry.CHAMPION) == "1"

    # traffic: the model's inputs from the reference table (inside the champion's contract)
    features = [c for c in heldout.fitted().feature_names_in_]
    rows = load_rows(data["reference_data"], features)
    with testing.gateway_process(
        ["cancer"], extra_args=("--no-auth", "--batch-worker", "thread"), poll_interval_s=0.3
    ) as url:
        options = CanaryOptions(
            gateway_url=url, steps=[50, 100], interval_s=1.5, settle_s=0.3, policy=POLICY
        )
        with BackgroundTraffic(url, "cancer", rows, rate=30) as traffic:
            second = release(
                ReleaseParams(
                    model_name="cancer",
                    model=str(heldout.model("cancer-v2", C=0.3)),
                    targets=["onnx-fp32"],
                    bench_batch_sizes=[1],
                    bench_threads=[1],
                    canary=options,
                    **data,
                )
            )
    report = traffic.report
    print(report.line())
    assert (second.version, second.outcome) == ("2", "canary-promoted"), second.stages
    assert list(second.stages)[-2:] == ["register-version", "canary-release"]
    assert second.stages["compare-with-champion"]["gates"]["champion_comparison"] == "passed"
    assert report.failed == 0, report.errors
    assert report.by_variant.get("canary", {}).get("ok", 0) > 0
    assert registry.open_registry().alias("cancer", registry.CHAMPION) == "2"
    assert registry.open_registry().alias("cancer", registry.PREVIOUS) == "1"
