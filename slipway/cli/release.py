"""`slipway release MODEL --eval-data E --reference-data R --target-column C --name N`: the whole
`release` DAG for a model the user brings (a file or an MLflow URI); without MODEL, the example
model is trained first.

Exit codes: 0 released (promoted, canary promoted, or registered as `candidate`), 1 a gate
refused it (or the canary rolled it back), 2 bad input, found before the flow starts."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json, flag_error, quiet_prefect_for_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "release",
        parents=[common],
        help="release a model (file or MLflow URI) through every gate: validate, convert, "
        "bench, compare with the champion, register, then promote or canary",
        description="Run the whole release DAG for MODEL: a .skops, .onnx, .pt2 / TorchScript "
        "file, s3://..., or an MLflow URI (models:/NAME/VERSION, models:/NAME@alias, "
        "runs:/RUN/PATH) of the sklearn, pytorch or onnx flavor. Without MODEL the example "
        "digits model is trained first.",
    )
    p.add_argument("model", nargs="?", default=None, metavar="MODEL", help="the model to release")
    p.add_argument("--eval-data", help="labelled eval rows (CSV/Parquet, s3:// or store:KEY)")
    p.add_argument(
        "--reference-data",
        help="the data the model was trained for (suite, serving contract, drift reference)",
    )
    p.add_argument("--target-column", help="the label column of both tables")
    p.add_argument(
        "--name",
        default=None,
        help="registered model name (default: the file's stem, the models:/ name, or digits-mlp)",
    )
    p.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow a pickle/joblib model or MLflow flavor (unpickling runs code from the file; "
        "default: refused)",
    )
    p.add_argument(
        "--targets",
        default=None,
        help="comma-separated candidates (default: all): onnx-fp32, ort-int8-dynamic, "
        "ort-int8-static, openvino-fp32, openvino-fp16, openvino-int8, tensorrt-fp16",
    )
    p.add_argument(
        "--max-accuracy-drop",
        type=float,
        default=0.01,
        help="accuracy gate: largest drop vs ONNX FP32 (default 0.01)",
    )
    p.add_argument(
        "--slo-p99-ms", type=float, default=50.0, help="latency gate: batch-1 p99 (default 50)"
    )
    p.add_argument(
        "--max-regression",
        type=float,
        default=0.0,
        help="champion comparison: how much worse than the champion it may be, beyond sampling "
        "noise (metric units; 0.01 = 1 accuracy point; default 0.0)",
    )
    p.add_argument(
        "--require-improvement",
        action="store_true",
        help="champion comparison: refuse unless significantly better (default off)",
    )
    p.add_argument(
        "--allow-contract-change",
        action="store_true",
        help="contract compatibility: ship a contract that refuses requests the champion "
        "accepts (default off)",
    )
    p.add_argument(
        "--no-widen-ranges",
        action="store_true",
        help="contract compatibility: a range narrower than the champion's fails the gate "
        "instead of being widened to the champion's (default: widened)",
    )
    p.add_argument(
        "--strategy",
        choices=("canary", "blue-green"),
        default="canary",
        help="with a champion and a gateway: canary steps or blue-green (default canary)",
    )
    p.add_argument(
        "--gateway",
        default=None,
        help="gateway URL(s) serving the model: with a champion, the new version is released on "
        "it (canary or blue-green); without --gateway it waits as `candidate` (default: none)",
    )
    p.add_argument("--prometheus", default=None, help="read canary metrics from this Prometheus")
    p.add_argument(
        "--steps", default="5,25,50,100", help="canary weights in percent (default 5,25,50,100)"
    )
    p.add_argument(
        "--interval-s", type=float, default=60.0, help="analysis window per step (default 60)"
    )
    p.add_argument(
        "--bake-s", type=float, default=None, help="blue-green bake window (default --interval-s)"
    )
    p.add_argument(
        "--settle-s", type=float, default=5.0, help="wait after each routing change (default 5)"
    )
    add_json_flag(p)
    p.set_defaults(handler=handle)


def default_name(model: str | None) -> str:
    from pathlib import PurePosixPath

    if model is None:
        return "digits-mlp"
    if model.startswith("models:/"):
        return model[len("models:/") :].split("/")[0].split("@")[0]
    if model.startswith("runs:/"):
        return PurePosixPath(model).name or "model"
    return PurePosixPath(model).stem


def build_params(args):
    from pydantic import ValidationError

    from slipway.cli.canary import parse_steps
    from slipway.errors import BadInput
    from slipway.release.params import CanaryOptions, ReleaseParams

    if args.model is None and (args.eval_data or args.reference_data or args.target_column):
        raise BadInput("--eval-data/--reference-data/--target-column go with a MODEL to release")
    missing = [
        flag
        for flag, value in (
            ("--eval-data", args.eval_data),
            ("--reference-data", args.reference_data),
            ("--target-column", args.target_column),
        )
        if args.model is not None and not value
    ]
    if missing:
        raise BadInput(
            f"releasing {args.model} needs {', '.join(missing)} (the labelled eval rows, the data "
            "it was trained for, the label column)"
        )
    canary = None
    if args.gateway or args.prometheus:
        canary = {
            "strategy": args.strategy,
            "steps": parse_steps(args.steps),
            "interval_s": args.interval_s,
            "bake_s": args.bake_s,
            "settle_s": args.settle_s,
            **({"gateway_url": args.gateway} if args.gateway else {}),
            **({"prometheus_url": args.prometheus} if args.prometheus else {}),
        }
    source = (
        {
            "model": args.model,
            "eval_data": args.eval_data,
            "reference_data": args.reference_data,
            "target_column": args.target_column,
        }
        if args.model
        else {}
    )
    try:
        return ReleaseParams(
            model_name=args.name or default_name(args.model),
            **(
                {"targets": [t.strip() for t in args.targets.split(",") if t.strip()]}
                if args.targets
                else {}
            ),
            max_accuracy_drop=args.max_accuracy_drop,
            slo_p99_ms=args.slo_p99_ms,
            max_regression=args.max_regression,
            require_improvement=args.require_improvement,
            allow_contract_change=args.allow_contract_change,
            widen_ranges=not args.no_widen_ranges,
            trust_pickle=args.trust_pickle,
            canary=CanaryOptions(**canary) if canary else None,
            **source,
        )
    except ValidationError as exc:
        raise flag_error(exc) from None


def handle(args) -> int:
    quiet_prefect_for_json(args)
    import os

    params = build_params(args)
    from slipway.release.source import check_source

    check_source(params)  # bad input: exit 2 before Prefect starts
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    from flows.release import release
    from slipway.release.report import summarize, waiting_line

    result = release(params)
    if args.json:
        emit_json(result)
    else:
        print("\n".join(summarize(result)))
        if result.outcome == "registered" and result.version:
            print(waiting_line(result.model_name, result.version))
    return 1 if result.outcome == "canary-rolled-back" else 0
