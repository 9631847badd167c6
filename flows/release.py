"""`release`: the whole DAG, one stage after another; a failing gate stops it.

train -> validate-data -> convert-and-quantize -> benchmark-latency -> register-version ->
then `slipway.core.release.next_step` decides: the guarded promote (first version),
canary-release (a champion exists and canary options were given), or wait as `candidate`.

Every stage is its own flow (a subflow run with its own page in the Prefect UI) and gives a
typed result that later stages take as typed parameters. A gate that fails raises
`GateFailed` with its report: nothing after it runs, nothing is registered or promoted.
"""

from __future__ import annotations

import json

from prefect import flow

from flows.benchmark_latency import benchmark_latency
from flows.canary_release import run_canary
from flows.convert_and_quantize import convert_and_quantize
from flows.register_version import register_version
from flows.train import train
from flows.validate_data import validate_data
from slipway.core.release import next_step, outcome_of
from slipway.register.params import RegisterParams
from slipway.release import report
from slipway.release.params import ReleaseParams, ReleaseResult
from tasks.promote import champion_of, promote_version

FIRST_RELEASE = "first release: no champion to compare against; every gate passed"


@flow(name="release", log_prints=True)
def release(params: ReleaseParams = ReleaseParams()) -> ReleaseResult:
    name, result = params.model_name, ReleaseResult(model_name=params.model_name)
    trained = train(params.train)
    result.stages["train"] = report.train_summary(trained)
    validation = validate_data(params.validate_params(trained))
    result.stages["validate-data"] = report.validation_summary(validation)
    optimized = convert_and_quantize(params.optimize_params(trained))
    result.stages["convert-and-quantize"] = report.optimize_summary(optimized)
    bench = benchmark_latency(params.bench_params(optimized.candidate_dir, trained))
    result.stages["benchmark-latency"] = report.bench_summary(bench)
    registered = register_version(
        RegisterParams(
            candidate_dir=optimized.candidate_dir,
            name=name,
            validation=validation,
            train=trained,
            reference_data=trained.data_uris["reference"],
        )
    )
    result.version = version = registered.version
    result.stages["register-version"] = report.register_summary(registered)

    step = next_step(
        version,
        champion_of(name),
        promote_first=params.promote_first,
        canary=params.canary is not None,
    )
    canary_promoted = None
    if step == "promote":
        promoted = promote_version(name, version, FIRST_RELEASE)
        result.stages["promote"] = {
            "summary": f"{name} version {promoted.version} is the "
            "champion (first release, guarded promote)"
        }
    elif step == "canary":
        canary = run_canary(params.canary_params(version))
        canary_promoted = canary.decision == "promote"
        result.stages["canary-release"] = report.canary_summary(canary)
    elif step == "already-champion":
        print(f"{name} version {version} is already the champion: nothing to release")
    else:
        print(report.waiting_line(name, version))
    result.outcome = outcome_of(step, canary_promoted)
    print(json.dumps({"model": name, "version": version, "outcome": result.outcome}))
    return result


if __name__ == "__main__":
    release()
