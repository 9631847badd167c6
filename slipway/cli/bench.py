"""`slipway bench`: run the `benchmark-latency` flow on a candidate directory or one model file."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json, quiet_prefect_for_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "bench",
        parents=[common],
        help="measure latency/throughput per candidate, gate on the SLO, choose what ships",
    )
    p.add_argument(
        "model",
        metavar="MODEL_OR_CANDIDATE_DIR",
        help="a candidate directory (manifest.json) or one .onnx / OpenVINO .xml file",
    )
    p.add_argument(
        "--eval-data",
        help="CSV/Parquet rows to benchmark on (default: random rows of the input width; "
        "for a model taking token ids: ids below its vocabulary and an all-ones attention mask)",
    )
    p.add_argument(
        "--batch-sizes", default="1,8,32", help="comma-separated positive integers (default 1,8,32)"
    )
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    p.add_argument(
        "--duration-s", type=float, default=0.2, help="seconds per timed phase (default 0.2)"
    )
    p.add_argument(
        "--slo-p99-ms", type=float, default=50.0, help="p99 latency budget at batch 1 (default 50)"
    )
    p.add_argument(
        "--min-throughput", type=float, help="minimum rows/s at the best batch size (optional)"
    )
    add_json_flag(p)
    p.set_defaults(handler=handle)


def build_params(args):
    from pydantic import ValidationError

    from slipway.core.latency import parse_positive_ints
    from slipway.errors import BadInput
    from slipway.latency.params import BenchParams

    try:
        batch_sizes = parse_positive_ints(args.batch_sizes, "--batch-sizes")
        threads = parse_positive_ints(args.threads, "--threads")
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    try:
        return BenchParams(
            candidate_dir=args.model,
            eval_data=args.eval_data,
            batch_sizes=batch_sizes,
            threads=threads,
            duration_s=args.duration_s,
            slo_p99_ms=args.slo_p99_ms,
            min_throughput=args.min_throughput,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "--" + str(err["loc"][0]).replace("_", "-")
        raise BadInput(f"{name}: {err['msg']}") from None


def print_result(result) -> None:
    from slipway.latency.report import markdown_table

    print(markdown_table(result.rows, result.outcome))
    if result.baseline_note:
        print(f"baseline: not measured ({result.baseline_note})")
    if result.selection:
        print(f"selected:  {result.selection.candidate} ({result.selection.why})")
    print(f"chart:     {result.chart_path}")
    if result.manifest_path:
        print(f"manifest:  {result.manifest_path} (benchmark + selection written)")


def handle(args) -> int:
    import sys

    quiet_prefect_for_json(args)
    from flows.benchmark_latency import benchmark_latency
    from slipway.errors import GateFailed

    params = build_params(args)
    from slipway.cli.preflight import require, require_files

    require_files(args.model, what="model or candidate directory")
    require_files(args.eval_data, what="eval data")
    require()
    try:
        result = benchmark_latency(params)
    except GateFailed as exc:
        if exc.report is None:
            raise
        if args.json:
            emit_json(exc.report)
        else:
            print_result(exc.report)
        print(f"error: {exc.report.summary}", file=sys.stderr)
        return 1
    if args.json:
        emit_json(result)
    else:
        print_result(result)
    return 0
