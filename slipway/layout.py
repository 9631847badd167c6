"""Read and write the files of a candidate directory or version bundle (names: core.layout).

One reader per file: it loads the file, validates it into its typed model and, when the file
is missing or malformed, raises one `BadInput` naming the path and what to do. Writers put
the typed model back as indented JSON. Nothing else in slipway spells out these file names.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import TypeVar

from pydantic import BaseModel

from slipway.core import layout
from slipway.core.contract import ServingContract
from slipway.core.evidence import EvidenceBundle
from slipway.core.manifest import Candidate, Manifest, identity_of
from slipway.core.train_result import TrainResult
from slipway.core.validation import ValidationReport
from slipway.errors import BadInput

M = TypeVar("M", bound=BaseModel)

MANIFEST_HINT = "give a candidate directory made by `slipway optimize` (convert-and-quantize)"
CONTRACT_HINT = "pass --contract (made by `slipway validate --contract-out`)"


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def read_model(path: str | Path, model: type[M], what: str, hint: str) -> M:
    """`path` validated as `model`; BadInput '<path>: no such <what> file: <hint>' or
    '<path>: not a valid <what> (<first problem>): <hint>'."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such {what} file: {hint}")
    try:
        return model.model_validate_json(path.read_bytes())
    except ValueError as exc:
        raise BadInput(f"{path}: not a valid {what} ({_first_line(exc)}): {hint}") from None


def read_json(path: str | Path, what: str, hint: str):
    """A JSON file that has no typed model (same errors as `read_model`)."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such {what} file: {hint}")
    try:
        return json.loads(path.read_bytes())
    except ValueError as exc:
        raise BadInput(f"{path}: not a valid {what} ({_first_line(exc)}): {hint}") from None


def write_model(path: Path, value: BaseModel) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value.model_dump_json(indent=2))
    return path


def read_manifest(directory: str | Path, hint: str = MANIFEST_HINT) -> Manifest:
    """The candidate manifest of a candidate directory or bundle."""
    directory = Path(directory)
    if directory.is_dir() and not (directory / layout.MANIFEST).is_file():
        raise BadInput(f"{directory}: no {layout.MANIFEST} in this directory: {hint}")
    return read_model(directory / layout.MANIFEST, Manifest, "candidate manifest", hint)


def write_manifest(directory: Path, manifest: Manifest) -> Path:
    return write_model(Path(directory) / layout.MANIFEST, manifest)


def contract_path(directory: str | Path) -> Path:
    return Path(directory) / layout.SERVING_CONTRACT


def read_contract(path: str | Path, hint: str = CONTRACT_HINT) -> ServingContract:
    """A serving contract from a file, or from a directory's `serving_contract.json`."""
    path = Path(path)
    if path.is_dir():
        path = path / layout.SERVING_CONTRACT
    return read_model(path, ServingContract, "serving contract", hint)


def write_contract(directory: Path, contract: ServingContract) -> Path:
    return write_model(contract_path(directory), contract)


def read_evidence(path: str | Path) -> EvidenceBundle:
    """A bundle's evidence (a file, or a directory's `evidence.json`)."""
    path = Path(path)
    if path.is_dir():
        path = path / layout.EVIDENCE
    return read_model(
        path,
        EvidenceBundle,
        "evidence bundle",
        "register the version with `slipway register` (it writes the evidence)",
    )


def write_evidence(directory: Path, evidence: EvidenceBundle) -> Path:
    return write_model(Path(directory) / layout.EVIDENCE, evidence)


def read_input_example(directory: str | Path):
    """The parsed `input_example.json` (slipway writes {"feature_names", "inputs"}; the canary
    pre-flight also reads the other shapes MLflow users store, see canary.infracheck)."""
    return read_json(
        Path(directory) / layout.INPUT_EXAMPLE,
        "input example",
        "register the version again with `slipway register` (it stores one)",
    )


def write_input_example(directory: Path, feature_names: list[str], rows: list[list[float]]) -> Path:
    path = Path(directory) / layout.INPUT_EXAMPLE
    path.write_text(json.dumps({"feature_names": feature_names, "inputs": rows}))
    return path


def read_reference_profile(directory: str | Path, what: str = "") -> bytes:
    """The serialized whylogs reference profile of a bundle (slipway.drift.profiles reads it)."""
    path = Path(directory) / layout.REFERENCE_PROFILE
    if not path.is_file():
        raise BadInput(
            f"{path}: no such reference profile file{' for ' + what if what else ''}: "
            "register the version again with register-version (it stores the reference "
            "profile)"
        )
    return path.read_bytes()


def reference_profile_path(directory: str | Path) -> Path:
    return Path(directory) / layout.REFERENCE_PROFILE


def read_validation_report(path: str | Path) -> ValidationReport:
    return read_model(
        path,
        ValidationReport,
        "validation report",
        "pass the report.json that `slipway validate` wrote",
    )


def read_train_result(path: str | Path) -> TrainResult:
    return read_model(
        path, TrainResult, "train result", "pass the train_result.json of a `slipway train` run"
    )


def beside_manifest(directory: str | Path, name: str) -> Path | None:
    """`directory/name` when that file exists (files a user left beside the manifest)."""
    path = Path(directory) / name
    return path if path.is_file() else None


def candidate_files(candidate: Candidate) -> list[str]:
    """Every file of a candidate, relative to the manifest (its main file included)."""
    files = list(
        dict.fromkeys([*(candidate.files or []), *([candidate.path] if candidate.path else [])])
    )
    if not files:
        raise BadInput(f"candidate {candidate.name} names no model file in {layout.MANIFEST}")
    return files


def candidate_identity(directory: str | Path, candidate: Candidate) -> tuple[str, dict[str, str]]:
    """(identity, sha256 per file) of a candidate's files as they are on disk under `directory`.

    The identity covers every file (`slipway.core.manifest.identity_of`), paths taken relative
    to the candidate's folder; a path escaping `directory` is refused."""
    from slipway.runtimes import resolve_inside
    from slipway.store import sha256_file

    directory = Path(directory)
    files = candidate_files(candidate)
    digests = {rel: sha256_file(resolve_inside(directory, rel)) for rel in files}
    folder = PurePosixPath(candidate.path or files[0]).parent
    local = {}
    for rel, digest in digests.items():
        path = PurePosixPath(rel)
        local[path.relative_to(folder).as_posix() if path.is_relative_to(folder) else rel] = digest
    return identity_of(local), digests
