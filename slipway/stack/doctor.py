"""`slipway doctor`: what a user needs to know when an environment does not match."""

from __future__ import annotations

import os
import platform
import re
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

KEY_PACKAGES = [
    "prefect",
    "mlflow",
    "great-expectations",
    "onnx",
    "onnxruntime",
    "skl2onnx",
    "openvino",
    "nncf",
    "whylogs",
    "boto3",
    "scikit-learn",
    "numpy",
    "pandas",
    "skops",
]


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail | unavailable | info
    detail: str


def constraints_file() -> Path | None:
    for candidate in (
        Path(__file__).resolve().parents[2] / "constraints.txt",
        Path("constraints.txt"),
    ):
        if candidate.is_file():
            return candidate
    return None


def pinned_versions(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;#]+)", line.strip())
        if match:
            pins[_norm(match.group(1))] = match.group(2)
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_python() -> Check:
    version = platform.python_version()
    ok = version.startswith("3.11.")
    return Check(
        "python", "ok" if ok else "warn", f"{version}" + ("" if ok else " (tested on 3.11)")
    )


def check_packages() -> list[Check]:
    path = constraints_file()
    pins = pinned_versions(path) if path else {}
    checks = []
    for name in KEY_PACKAGES:
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            checks.append(
                Check(
                    f"package {name}", "fail", "not installed: run `make demo` or pip install -e ."
                )
            )
            continue
        pinned = pins.get(_norm(name))
        if pinned is None:
            checks.append(Check(f"package {name}", "info", f"{installed} (no pin found)"))
        elif pinned == installed:
            checks.append(Check(f"package {name}", "ok", installed))
        else:
            checks.append(
                Check(
                    f"package {name}",
                    "warn",
                    f"{installed}, pinned {pinned}: pip install -c constraints.txt -e .",
                )
            )
    return checks


def check_onnxruntime() -> Check:
    import onnxruntime

    providers = onnxruntime.get_available_providers()
    status = "ok" if "CPUExecutionProvider" in providers else "fail"
    return Check("onnxruntime providers", status, ", ".join(providers))


def check_openvino() -> Check:
    try:
        import openvino

        devices = openvino.Core().available_devices
    except Exception as exc:
        return Check("openvino devices", "fail", f"{type(exc).__name__}: {exc}")
    return Check("openvino devices", "ok" if devices else "fail", ", ".join(devices) or "none")


def check_tensorrt() -> Check:
    from slipway.accel import tensorrt_status

    status = tensorrt_status()
    if status.tensorrt:
        return Check("tensorrt", "ok", "CUDA device and TensorRT available")
    return Check("tensorrt", "unavailable", status.reason)


def check_mlflow(settings) -> Check:
    uri = settings.resolved_tracking_uri
    if uri.startswith("sqlite:///"):
        db = Path(uri[len("sqlite:///") :])
        where = db.parent
        while not where.exists():
            where = where.parent
        if os.access(where, os.W_OK):
            state = "exists" if db.exists() else "will be created"
            return Check("mlflow tracking", "ok", f"{uri} ({state})")
        return Check("mlflow tracking", "fail", f"{uri}: {where} is not writable; set SLIPWAY_HOME")
    if uri.startswith(("http://", "https://")):
        return _http_check("mlflow tracking", uri.rstrip("/") + "/health", uri)
    return Check("mlflow tracking", "info", f"{uri} (not checked)")


def check_prefect(url: str | None) -> Check:
    """`url`: the Prefect API in use (the command resolves it from the environment and the
    Prefect profile); None when flows start an ephemeral API."""
    if not url:
        return Check(
            "prefect api",
            "info",
            "no PREFECT_API_URL: flows start an ephemeral API (a few seconds per command); "
            "`prefect server start` and PREFECT_API_URL=http://127.0.0.1:4200/api avoid that",
        )
    return _http_check("prefect api", url.rstrip("/") + "/health", url)


def check_s3(settings) -> Check:
    root = settings.resolved_artifact_root
    if not root.startswith("s3://"):
        return Check("artifact store", "ok", f"local directory {root}")
    from slipway.errors import SlipwayError
    from slipway.store import S3Store

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "AWS default endpoint")
    try:
        S3Store(root).check_bucket()
    except SlipwayError as exc:
        return Check("artifact store", "fail", f"{root} via {endpoint}: {exc}")
    return Check("artifact store", "ok", f"{root} via {endpoint}")


def _http_check(name: str, url: str, shown: str) -> Check:
    import httpx

    try:
        response = httpx.get(url, timeout=3.0)
    except httpx.HTTPError as exc:
        return Check(
            name, "fail", f"{shown} unreachable ({type(exc).__name__}): start it or fix the URL"
        )
    if response.status_code >= 400:
        return Check(name, "fail", f"{shown} answered HTTP {response.status_code}")
    return Check(name, "ok", f"{shown} reachable")


def run_checks(prefect_api_url: str | None = None) -> list[Check]:
    from slipway.settings import get_settings

    settings = get_settings()
    checks = [
        check_python(),
        *check_packages(),
        check_onnxruntime(),
        check_openvino(),
        check_tensorrt(),
    ]
    checks += [check_mlflow(settings), check_prefect(prefect_api_url), check_s3(settings)]
    return checks


def as_dicts(checks: list[Check]) -> list[dict]:
    return [asdict(c) for c in checks]
