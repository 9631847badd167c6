"""`release`: the whole DAG, one stage after another; a failing gate stops it.

model source (a file or MLflow URI the user gives, or `train` for the example) ->
validate-data -> convert-and-quantize -> benchmark-latency -> compare-with-champion ->
register-version -> then `slipway.core.release.next_step` decides: the guarded promote (first
version), canary-release (a champion exists and canary options were given), or wait as
`candidate`. compare-with-champion runs before any traffic: a version worse than the champion
beyond the noise, or with a contract that would refuse what the champion accepts, stops here.

Every stage is its own flow (a subflow run with its own page in the Prefect UI) and gives a
typed result that later stages take as typed parameters. A gate that fails raises
`GateFailed` with its report: nothing after it runs, nothing is registered or promoted.
"""

from __future__ import annotations

import json

from prefect import flow

from flows.benchmark_latency import benchmark_latency
from flows.canary_release import run_canary
from flows.compare_with_champion import compare_with_champion
from flows.convert_and_quantize import convert_and_quantize
from flows.register_version import register_version
from flows.train import train
from flows.validate_data import validate_data
from slipway.core.release import next_step, outcome_of
from slipway.register.params import RegisterParams
from slipway.release import report
from slipway.release.params import ReleaseParams, ReleaseResult
from tasks.promote import champion_of, promote_version
from tasks.release import check_source

FIRST_RELEASE = "first release: no champion to compare against; every gate passed"


@flow(name="release", log_prints=True)
def release(params: ReleaseParams = ReleaseParams()) -> ReleaseResult:
    name, result = params.model_name, ReleaseResult(model_name=params.model_name)
    if params.model is None:
        trained = train(params.train)
        result.stages["train"] = report.train_summary(trained)
        source = params.source(trained)
    else:
        result.stages["model-source"] = {"summary": check_source(params)}
        source = params.source()
    validation = validate_data(params.validate_params(source))
    result.stages["validate-data"] = report.validation_summary(validation)
    optimized = convert_and_quantize(params.optimize_params(source))
    result.stages["convert-and-quantize"] = report.optimize_summary(optimized)
    bench = benchmark_latency(params.bench_params(optimized.candidate_dir, source))
    result.stages["benchmark-latency"] = report.bench_summary(bench)
    compared = compare_with_champion(
        params.compare_params(optimized.candidate_dir, source, validation.contract)
    )
    result.stages["compare-with-champion"] = report.compare_summary(compared)
    if compared.contract is not None and compared.contract != validation.contract:
        validation = validation.model_copy(update={"contract": compared.contract})
    registered = register_version(
        RegisterParams(
            candidate_dir=optimized.candidate_dir,
            name=name,
            validation=validation,
            train=source.trained,
            reference_data=source.reference_data,
            champion_gates=compared.gates,
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
