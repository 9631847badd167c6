"""The benchmark host: CPU, INT8-relevant instruction-set flags, library versions, threads.

Numbers are only comparable across machines with this record next to them.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

INT8_FLAGS = (
    "avx2",
    "avx512f",
    "avx512_vnni",
    "avx512_bf16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
)
LIBRARIES = ("onnxruntime", "openvino", "numpy", "scikit-learn", "torch", "tensorrt")
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def parse_cpuinfo(text: str) -> tuple[str, set[str]]:
    """(model name, flags) from /proc/cpuinfo text (first processor)."""
    model, flags = "", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key == "flags" and not flags:
            flags = set(value.split())
    return model, flags


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def host_record(threads: list[int]) -> dict:
    cpuinfo = Path("/proc/cpuinfo")
    model, flags = parse_cpuinfo(cpuinfo.read_text()) if cpuinfo.is_file() else ("", set())
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "cpu_model": model or platform.processor() or "unknown",
        "machine": platform.machine(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "logical_cores": os.cpu_count() or 0,
        "usable_cores": usable,
        "load_avg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "int8_flags": {flag: flag in flags for flag in INT8_FLAGS},
        "libraries": library_versions(),
        "threads_measured": list(threads),
        "thread_env": {var: os.environ.get(var, "") for var in THREAD_VARS},
    }
