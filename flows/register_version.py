"""`register-version`: the selected candidate and all its evidence become an MLflow model
version."""

from __future__ import annotations

from prefect import flow

from slipway.register.params import RegisterParams, RegisterResult
from tasks.register_version import load_inputs, register


@flow(name="register-version", log_prints=True)
def register_version(params: RegisterParams) -> RegisterResult:
    contract, report, train = load_inputs(params)
    result = register(params, contract, report, train)
    print(result.summary if result.created else f"nothing new: {result.summary}")
    return result


if __name__ == "__main__":
    import sys

    register_version(RegisterParams(candidate_dir=sys.argv[1], name=sys.argv[2]))
