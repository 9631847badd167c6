"""`slipway demo`: run the whole `release` flow on the example with embedded defaults."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json, quiet_prefect_for_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "demo", parents=[common], help="run the whole release on the example (embedded defaults)"
    )
    p.add_argument("--model-name", default="digits-mlp", help="registered model name")
    add_json_flag(p)
    p.set_defaults(handler=handle)


def summarize(result) -> list[str]:
    """One short block per stage that ran."""
    lines = [f"release of {result.model_name}: {len(result.stages)} stage(s) ran"]
    for stage, data in result.stages.items():
        lines.append(f"[{stage}]")
        for line in _stage_lines(stage, data):
            lines.append(f"  {line}")
    return lines


def _stage_lines(stage: str, data: dict) -> list[str]:
    if stage == "train":
        return [
            f"run {data['run_id']}: {data['parameter_count']} parameters, "
            f"eval accuracy {data['metrics']['accuracy']:.4f}",
            f"model {data['model_uri']}",
        ]
    summary = data.get("summary") if isinstance(data, dict) else None
    return [str(summary if summary is not None else data)]


def handle(args) -> int:
    quiet_prefect_for_json(args)
    from flows.release import ReleaseParams, release

    result = release(ReleaseParams(model_name=args.model_name))
    if args.json:
        emit_json(result)
    else:
        print("\n".join(summarize(result)))
    return 0
