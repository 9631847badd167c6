"""`slipway demo`: the whole loop on the example with embedded defaults.

1. `release` of version A (train, validate-data, convert-and-quantize, benchmark-latency,
   register-version, then the guarded promote: there is no champion yet).
2. The gateway (`slipway serve`) on a free loopback port serves the champion; a few real
   predictions are shown next to their labels.
3. `release` of version B (another seed) with live traffic: every gate again (compared with
   the champion on the same eval rows), then canary-release on that gateway (steps, analysis
   per window, promote or roll back). No request may fail: the demo exits 1 if one did.
4. Production changes (inverted digits) through the gateway; the gateway's whylogs profiles
   are flushed and `drift-monitor` compares them with the champion's reference profile,
   decides and opens the retrain (or rollback) flow under the example policy.

`--example cnn` runs the same loop on the image example: a PyTorch CNN (`train --arch cnn`)
served as `[N, 1, 32, 32]` FP32 tensors, and inverted images as the production change.

Everything runs for real; a rerun in the same SLIPWAY_HOME reuses what is already registered.
"""

from __future__ import annotations

import os
import time

from slipway.cli._output import add_json_flag, emit_json, quiet_prefect_for_json

STEPS = 4


def register(sub, common) -> None:
    p = sub.add_parser(
        "demo",
        parents=[common],
        help="run the whole release on the example (embedded defaults)",
        description="Release two versions of the example (the second through a canary behind a "
        "real "
        "gateway), then shift production traffic and let the drift monitor act.",
    )
    p.add_argument(
        "--example",
        choices=("mlp", "cnn"),
        default="mlp",
        help="mlp: the scikit-learn MLP on 64 pixels; cnn: the PyTorch CNN on 32x32 images",
    )
    p.add_argument(
        "--model-name", default=None, help="registered model name (default: digits-<example>)"
    )
    p.add_argument(
        "--release-only",
        action="store_true",
        help="only step 1: one release (no gateway, canary or drift monitor)",
    )
    p.add_argument(
        "--act",
        choices=("inline", "deployment", "off"),
        default="inline",
        help="what the drift monitor does with its decision: run the retrain/rollback flow "
        "inline (default), schedule it on its deployment, or only decide",
    )
    add_json_flag(p)
    p.set_defaults(handler=handle)


def _say(step: int, text: str) -> None:
    print(f"\n=== [{step}/{STEPS}] {text}", flush=True)


def handle(args) -> int:
    quiet_prefect_for_json(args)
    # the ephemeral Prefect API starts a server in-process: give it time on a small, busy machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    from flows.release import release
    from slipway.release.params import ReleaseParams
    from slipway.release.report import summarize
    from slipway.train.params import TrainParams

    say = (lambda *a: None) if args.json else _say
    args.model_name = args.model_name or f"digits-{args.example}"
    out: dict = {"model_name": args.model_name, "example": args.example}
    started = time.monotonic()
    say(1, f"release of {args.model_name} (first version: every gate, then the guarded promote)")
    first = release(release_params(args, ReleaseParams, TrainParams, seed=0))
    out["release_1"] = first.model_dump(mode="json")
    if not args.json:
        print("\n".join(summarize(first)))
    if not args.release_only:
        out.update(_loop(args, say, release, ReleaseParams, TrainParams))
    out["elapsed_s"] = round(time.monotonic() - started, 1)
    if args.json:
        emit_json(out)
    else:
        print(
            f"\ndemo finished in {out['elapsed_s']:.0f} s. Look around: `slipway models show "
            f"{args.model_name}`, "
            "`mlflow ui --backend-store-uri sqlite:///.slipway/mlflow.db`, `prefect server start`."
        )
    return 0


CNN_RELEASE = {
    "targets": ["onnx-fp32", "ort-int8-static", "openvino-fp32", "openvino-int8", "tensorrt-fp16"],
    "max_accuracy_drop": 0.02,
}


def release_params(args, ReleaseParams, TrainParams, seed: int, **extra):
    """The example's release: the MLP with the defaults, or the CNN (a few epochs, the
    candidates that matter for a conv net)."""
    if args.example == "cnn":
        train = TrainParams(arch="cnn", epochs=6, seed=seed)
        return ReleaseParams(model_name=args.model_name, train=train, **CNN_RELEASE, **extra)
    return ReleaseParams(model_name=args.model_name, train=TrainParams(seed=seed), **extra)


def _loop(args, say, release, ReleaseParams, TrainParams) -> dict:
    from slipway.canary.traffic import BackgroundTraffic
    from slipway.canary.traffic_data import traffic_rows
    from slipway.core.canary import CanaryPolicy
    from slipway.registry import CHAMPION, open_registry
    from slipway.release.params import CanaryOptions
    from slipway.release.report import summarize
    from slipway.serving.testing import gateway_process

    name, out = args.model_name, {}
    say(2, "gateway: `slipway serve` on a free loopback port, serving the champion")
    gateway_args = ("--no-auth", "--profile-sample", "1.0", "--profile-window-s", "3600")
    with gateway_process(
        [name], extra_args=gateway_args, poll_interval_s=0.5, ready_timeout_s=120
    ) as url:
        if not args.json:
            print(
                f"gateway ready at {url} (champion version {open_registry().alias(name, CHAMPION)})"
            )
        out["predictions"] = _show_predictions(url, name, quiet=args.json)
        rows = traffic_rows(name)

        say(
            3,
            "release of a second version (another seed) with live traffic: every gate, then the "
            "canary",
        )
        # a small demo window: 4-5 s per step at 30 requests/s; on a busy 2-core machine the
        # p99 comparison gets a 150 ms tolerance so that scheduling noise alone does not fail it
        options = CanaryOptions(
            gateway_url=url,
            steps=[25, 50, 100],
            interval_s=4.0,
            settle_s=1.0,
            policy=CanaryPolicy(
                min_requests=10,
                latency_tolerance_ms=150.0,
                max_p99_latency_ratio=2.0,
                failure_limit=1,
            ),
        )
        with BackgroundTraffic(url, name, rows, rate=30) as traffic:
            second = release(
                release_params(args, ReleaseParams, TrainParams, seed=1, canary=options)
            )
        out["release_2"] = second.model_dump(mode="json")
        out["traffic"] = traffic.report.model_dump(mode="json")
        if not args.json:
            print("\n".join(summarize(second)))
            print(f"traffic during the release: {traffic.report.line()}")
        check_no_request_lost(traffic.report)

        say(
            4,
            "production changes (inverted digits): profiles from the gateway, then the drift "
            "monitor",
        )
        if args.example == "cnn":
            shifted = _send_shifted_images(url, name, quiet=args.json)
        else:
            shifted = _send_shifted(url, name, quiet=args.json)
        out["shifted_rows"] = shifted
    # the gateway flushed its whylogs profiles to the artifact store on shutdown
    out["drift"] = _monitor(name, args.act, quiet=args.json, arch=args.example)
    return out


def check_no_request_lost(report) -> None:
    """The demo's promise: the release loses no user request (issue 19 item 6). The contract
    compatibility gate keeps the new version from refusing what the champion accepts."""
    from slipway.errors import GateFailed

    if report.failed:
        raise GateFailed(
            f"the demo lost {report.failed} of {report.sent} requests during the release "
            f"({report.line()}; first errors: {'; '.join(report.errors[:3]) or '-'})",
            report=report,
        )


def _show_predictions(url: str, name: str, quiet: bool) -> list[dict]:
    """Three eval rows through `POST /v1/models/{name}:predict`, printed beside their labels."""
    import httpx

    from slipway.canary.traffic_data import as_items, eval_data_ref
    from slipway.data import read_table
    from slipway.layout import read_manifest
    from slipway.registry import CHAMPION, open_registry

    registry = open_registry()
    manifest = read_manifest(registry.download_bundle(name, registry.alias(name, CHAMPION)))
    frame = read_table(eval_data_ref(name))
    manifest_features = [c for c in frame.columns if c != "digit"]
    sample = frame.sample(3, random_state=7)
    rows = sample[manifest_features].astype(float).values.tolist()
    body = {"instances": as_items(rows, manifest.input_shape)}
    response = httpx.post(f"{url}/v1/models/{name}:predict", json=body, timeout=30)
    response.raise_for_status()
    answer = response.json()
    shown = [
        {"label": int(label), "prediction": int(pred)}
        for label, pred in zip(sample["digit"], answer["predictions"], strict=True)
    ]
    if not quiet:
        version = response.headers.get("X-Slipway-Model-Version")
        print(
            f"POST {url}/v1/models/{name}:predict with 3 eval rows -> version {version} "
            f"({CHAMPION}) answers "
            + ", ".join(f"{s['prediction']} (label {s['label']})" for s in shown)
        )
    return shown


def _send_shifted(url: str, name: str, quiet: bool) -> dict:
    """400 inverted digit images (kept inside the contract) in batches of 50 rows."""
    import httpx

    from slipway.drift.shifted import shifted_digits
    from slipway.layout import read_contract
    from slipway.registry import CHAMPION, open_registry

    registry = open_registry()
    champion = registry.alias(name, CHAMPION)
    bundle = registry.download_bundle(name, champion)
    contract = read_contract(bundle)
    frame = shifted_digits(400, kind="invert", contract=contract)
    features = [f.name for f in contract.features]
    ok = 0
    with httpx.Client(timeout=30) as client:
        for start in range(0, len(frame), 50):
            batch = frame.iloc[start : start + 50][features].astype(float).values.tolist()
            response = client.post(f"{url}/v1/models/{name}:predict", json={"instances": batch})
            ok += len(batch) if response.status_code == 200 else 0
    if not quiet:
        print(f"sent {len(frame)} inverted digit images to version {champion}: {ok} answered")
    return {"sent": len(frame), "answered": ok, "champion": champion}


def _send_shifted_images(url: str, name: str, quiet: bool) -> dict:
    """400 inverted digit images [1, 32, 32] (inside the contract's range) as OIP v2 FP32
    tensors with binary data, in batches of 50."""
    import httpx
    import orjson

    from slipway.core.oip import encode_binary
    from slipway.drift.shifted import shifted_images
    from slipway.layout import read_contract
    from slipway.registry import CHAMPION, open_registry

    registry = open_registry()
    champion = registry.alias(name, CHAMPION)
    contract = read_contract(registry.download_bundle(name, champion))
    x = shifted_images(400, kind="invert", contract=contract)
    ok = 0
    with httpx.Client(timeout=30) as client:
        for start in range(0, len(x), 50):
            batch = x[start : start + 50]
            raw = encode_binary(batch)
            header = orjson.dumps(
                {
                    "inputs": [
                        {
                            "name": contract.tensors[0].name,
                            "shape": list(batch.shape),
                            "datatype": "FP32",
                            "parameters": {"binary_data_size": len(raw)},
                        }
                    ]
                }
            )
            response = client.post(
                f"{url}/v2/models/{name}/infer",
                content=header + raw,
                headers={
                    "content-type": "application/octet-stream",
                    "inference-header-content-length": str(len(header)),
                },
            )
            ok += len(batch) if response.status_code == 200 else 0
    if not quiet:
        print(
            f"sent {len(x)} inverted images [1, 32, 32] to version {champion} (OIP v2, binary "
            f"FP32): {ok} answered"
        )
    return {"sent": len(x), "answered": ok, "champion": champion}


def _monitor(name: str, act: str, quiet: bool, arch: str = "mlp") -> dict:
    from flows.drift_monitor import drift_monitor
    from slipway.drift.params import MonitorParams
    from slipway.drift.policy_file import EXAMPLE_POLICY

    result = drift_monitor(
        MonitorParams(
            model_name=name,
            window="1h",
            policy=str(EXAMPLE_POLICY),
            act=act,
            retrain_arch=arch,
        )
    )
    if not quiet:
        decision = result.decision
        print(f"drift monitor on {name} version {result.version}: decision {decision.action}")
        for reason in decision.reasons:
            print(f"  - {reason}")
        if result.action is not None:
            detail = result.action.state or ""
            print(
                f"  opened the {result.action.action} flow ({result.action.via}) "
                f"run {result.action.flow_run_id or '-'} {detail}".rstrip()
            )
            released = result.action.detail.get("release") or {}
            if released.get("version"):
                print(
                    f"  the retrain ran the whole release: version {released['version']}, "
                    f"{released.get('outcome')}"
                    " (without a labelled window it retrains on the reference data alone)"
                )
        if result.report.get("markdown"):
            print(f"  report: {result.report['markdown']}")
    return result.model_dump(mode="json")
