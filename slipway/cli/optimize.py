"""`slipway optimize`: run the `convert-and-quantize` flow."""

from __future__ import annotations

from slipway.cli._output import (
    INPUT_SHAPE_HELP,
    add_json_flag,
    emit_json,
    parse_shape,
    quiet_prefect_for_json,
)


def register(sub, common) -> None:
    p = sub.add_parser(
        "optimize",
        parents=[common],
        help="convert a model to ONNX and quantize it into gated candidates (ORT, OpenVINO, "
        "TensorRT)",
    )
    p.add_argument(
        "model",
        help="a .skops / .onnx / .pt2 / TorchScript file, s3://..., or models:/NAME/VER, "
        "runs:/ID/PATH",
    )
    p.add_argument(
        "--eval-data", required=True, help="labelled eval data (CSV/Parquet, s3://, store:KEY)"
    )
    p.add_argument("--target-column", required=True)
    p.add_argument(
        "--calibration-data", help="calibration rows (default: a slice of the eval data)"
    )
    p.add_argument(
        "--targets",
        help="comma-separated candidates (default: all): onnx-fp32, ort-int8-dynamic, "
        "ort-int8-static, openvino-fp32, openvino-fp16, openvino-int8, tensorrt-fp16",
    )
    p.add_argument(
        "--max-accuracy-drop",
        type=float,
        default=0.01,
        help="largest drop vs ONNX FP32 (0.01 = 1 point)",
    )
    p.add_argument(
        "--out", help="candidate directory (default <SLIPWAY_HOME>/candidates/<timestamp>)"
    )
    p.add_argument("--input-shape", metavar="C,H,W", help=INPUT_SHAPE_HELP)
    p.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow pickle/joblib models: loading them runs code from the file",
    )
    add_json_flag(p)
    p.set_defaults(handler=handle)


def build_params(args):
    from pydantic import ValidationError

    from slipway.convert.params import ALL_TARGETS, OptimizeParams
    from slipway.errors import BadInput

    targets = (
        [t.strip() for t in args.targets.split(",") if t.strip()]
        if args.targets
        else list(ALL_TARGETS)
    )
    try:
        return OptimizeParams(
            model=args.model,
            eval_data=args.eval_data,
            target_column=args.target_column,
            calibration_data=args.calibration_data,
            targets=targets,
            max_accuracy_drop=args.max_accuracy_drop,
            out=args.out,
            trust_pickle=args.trust_pickle,
            input_shape=parse_shape(args.input_shape),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(map(str, first["loc"])) or "arguments"
        raise BadInput(f"--{field.replace('_', '-')}: {first['msg']}") from None


def handle(args) -> int:
    quiet_prefect_for_json(args)
    from slipway.cli.preflight import require
    from slipway.convert.prepare import check_inputs

    params = build_params(args)
    check_inputs(params)
    require(mlflow=True, prefect=True)
    from flows.convert_and_quantize import convert_and_quantize

    result = convert_and_quantize(params)
    if args.json:
        emit_json(result)
        return 0
    print(result.summary)
    print(f"candidates: {result.candidate_dir}")
    for c in result.manifest.candidates:
        print(f"  {c.name:<17} {c.status:<11} {c.reason}")
    return 0
