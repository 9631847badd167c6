"""Load the model a user gives to `optimize`: decide its kind, refuse unsafe formats, hash it.

Kinds: `sklearn` (skops), `onnx`, `torch` (`.pt2` ExportedProgram or TorchScript), `pickle`
(joblib/pickle: only with `trust_pickle`, because unpickling runs code from the file), and
MLflow URIs (`models:/`, `runs:/`) which are downloaded and then treated as one of those.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slipway.errors import BadInput

SUFFIX_KIND = {
    ".skops": "sklearn",
    ".onnx": "onnx",
    ".pt2": "torch-exported",
    ".ts": "torchscript",
    ".torchscript": "torchscript",
    ".pt": "torchscript",
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".joblib": "pickle",
}
PICKLE_REFUSAL = (
    "{path}: pickle/joblib files run arbitrary code when loaded, so slipway refuses them; "
    "save the model with skops (slipway.modelio.save_sklearn) or ONNX, or pass --trust-pickle "
    "if you produced this file yourself"
)


@dataclass
class SourceModel:
    kind: str
    """sklearn | onnx | torch-exported | torchscript | pickle."""
    path: Path
    """The local file (downloaded when the reference was remote)."""
    origin: str
    sha256: str
    model: Any = field(default=None, repr=False)
    """The loaded object (sklearn estimator, torch module); None for ONNX."""

    @property
    def framework(self) -> str:
        if self.kind in ("sklearn", "pickle"):
            return "sklearn"
        if self.kind.startswith("torch"):
            return "torch"
        return "onnx"


def kind_of(path: Path) -> str:
    kind = SUFFIX_KIND.get(path.suffix.lower())
    if kind is None:
        raise BadInput(
            f"{path}: unsupported model file type {path.suffix or '(no suffix)'!r}; give a .skops, "
            ".onnx, .pt2 / TorchScript file or an MLflow URI (models:/NAME/VERSION, runs:/ID/PATH)"
        )
    return kind


def fetch(ref: str, workdir: Path) -> Path:
    """A local path for `ref`: a file, s3://..., or an MLflow URI (downloaded into workdir)."""
    if ref.startswith(("models:/", "runs:/")):
        return fetch_mlflow(ref, workdir)
    if ref.startswith("s3://"):
        from slipway.store import open_store

        bucket, _, key = ref[len("s3://") :].partition("/")
        return open_store(f"s3://{bucket}").get_file(key, workdir / Path(key).name)
    path = Path(ref).expanduser()
    if not path.is_file():
        raise BadInput(f"{ref}: no such model file")
    return path


def fetch_mlflow(uri: str, workdir: Path) -> Path:
    import yaml

    from slipway.tracking import configure_mlflow, download

    configure_mlflow()
    try:
        local = download(uri, workdir / "mlflow")
    except Exception as exc:
        raise BadInput(
            f"{uri}: MLflow cannot download it ({str(exc).splitlines()[0][:200]})"
        ) from None
    if local.is_file():
        return local
    mlmodel = local / "MLmodel"
    if mlmodel.is_file():
        flavors = (yaml.safe_load(mlmodel.read_text()) or {}).get("flavors", {})
        for flavor, key in (
            ("onnx", "data"),
            ("sklearn", "pickled_model"),
            ("pytorch", "model_data"),
        ):
            if flavor in flavors and flavors[flavor].get(key):
                candidate = local / flavors[flavor][key]
                if candidate.is_file():
                    return candidate
    found = [p for p in sorted(local.rglob("*")) if p.is_file() and p.suffix.lower() in SUFFIX_KIND]
    if not found:
        raise BadInput(f"{uri}: no model file slipway can read in the MLflow artifacts ({local})")
    return found[0]


def preflight(ref: str, trust_pickle: bool = False) -> SourceModel | None:
    """Cheap checks before any work starts: a local file exists, its type is known, pickle is
    trusted, an ONNX file is readable with its external data inside its folder, a scikit-learn
    model is fitted and every step has a converter. Returns the loaded local model (None for a
    remote one, checked when the flow fetches it)."""
    if ref.startswith(("models:/", "runs:/", "s3://")):
        return None
    path = Path(ref).expanduser()
    if not path.is_file():
        raise BadInput(f"{ref}: no such model file")
    kind = kind_of(path)
    if kind == "pickle" and not trust_pickle:
        raise BadInput(PICKLE_REFUSAL.format(path=ref))
    source = SourceModel(kind=kind, path=path, origin=ref, sha256="")
    if kind == "onnx":
        from slipway.convert.onnx_checks import load_checked

        source.model = load_checked(path)
    elif kind in ("sklearn", "pickle"):
        from slipway.convert.sklearn_onnx import check_convertible

        source.model = load_object(kind, path)
        check_convertible(source.model)
    return source


def load_source(ref: str, trust_pickle: bool = False, workdir: Path | None = None) -> SourceModel:
    """Fetch, classify, hash and load the model; refuse pickle unless trusted."""
    from slipway.store import sha256_file

    workdir = workdir or Path(tempfile.mkdtemp(prefix="slipway-source-"))
    path = fetch(ref, workdir)
    kind = kind_of(path)
    digest = sha256_file(path)
    if kind == "pickle" and not trust_pickle:
        raise BadInput(PICKLE_REFUSAL.format(path=ref))
    return SourceModel(
        kind=kind, path=path, origin=ref, sha256=digest, model=load_object(kind, path)
    )


def load_object(kind: str, path: Path):
    if kind == "sklearn":
        from slipway.modelio import load_sklearn

        return load_sklearn(path)
    if kind == "pickle":
        import joblib

        return joblib.load(path)
    if kind == "onnx":
        return None
    from slipway.convert.torch_onnx import load_torch

    return load_torch(kind, path)


def copy_source(source: SourceModel, out: Path) -> dict[str, Any]:
    """Copy the source model to `<out>/source/` and describe it for the manifest."""
    dest = out / "source" / source.path.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source.path, dest)
    return {
        "kind": source.framework,
        "format": source.kind,
        "path": dest.relative_to(out).as_posix(),
        "origin": source.origin,
        "sha256": source.sha256,
        "size_bytes": dest.stat().st_size,
    }
