"""Assemble a version bundle (layout: slipway.core.layout) from a candidate directory.

The selected candidate is the serving artifact; the other accepted candidates are stored
beside it. The reference profile holds the reference features plus the serving
candidate's predicted class (`prediction`), as the gateway profiles live traffic. An
MLflow `MLmodel` file carries the signature and input example so the MLflow UI shows them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from slipway import layout
from slipway.core.contract import ServingContract
from slipway.core.evidence import EvidenceBundle
from slipway.core.layout import MLMODEL
from slipway.core.manifest import Candidate, Manifest
from slipway.errors import BadInput

EXAMPLE_ROWS = 5


def copy_candidates(source: Path, dest: Path, candidates: list[Candidate]) -> dict[str, str]:
    """Copy each candidate's files (refusing paths that escape `source`); return name ->
    identity (the digest over all its files, checked against the manifest's)."""
    from slipway.runtimes import resolve_inside

    identities = {}
    for candidate in candidates:
        identity, digests = layout.candidate_identity(source, candidate)
        legacy = candidate.sha256 == digests.get(candidate.path or "")  # manifests before identity
        if candidate.sha256 and candidate.sha256 != identity and not legacy:
            changed = [
                rel for rel, d in digests.items() if candidate.file_sha256.get(rel) not in (None, d)
            ]
            raise BadInput(
                f"candidate {candidate.name}: its files "
                f"({', '.join(changed) or ', '.join(digests)}) have identity {identity[:12]}..., "
                f"the manifest says {candidate.sha256[:12]}...: the files changed after "
                "conversion, rerun convert"
            )
        for rel in digests:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(resolve_inside(source, rel), target)
        identities[candidate.name] = identity
    return identities


def feature_matrix(frame, feature_names: list[str]):
    import numpy as np

    missing = [c for c in feature_names if c not in frame.columns]
    if missing:
        raise BadInput(
            f"reference data lacks the model's features {missing[:5]}: pass the data the model was "
            "trained for"
        )
    return frame[feature_names].to_numpy(dtype=np.float32)


def model_input(frame, manifest: Manifest):
    """The model's input from reference rows: [N, F], or [N, *input_shape] for a tensor model."""
    x = feature_matrix(frame, manifest.feature_names)
    return x if manifest.input_shape is None else x.reshape(len(x), *manifest.input_shape)


def regression_output(predicted: dict):
    """A regressor's prediction per row: its `variable` output (or its only output), 1-D."""
    import numpy as np

    value = predicted.get("variable")
    if value is None:
        if len(predicted) != 1:
            raise ValueError(f"no `label` or `variable` output among {sorted(predicted)}")
        (value,) = predicted.values()
    return np.asarray(value).reshape(len(value), -1)[:, 0]


def reference_with_predictions(
    bundle_dir: Path, manifest: Manifest, frame, contract: ServingContract | None = None
):
    """Reference features plus the serving candidate's predicted class as int column
    `prediction` (a regressor: its predicted value, float), and an image model's top-1
    probability as `confidence`. For an image model the features are the per-image summaries
    the gateway profiles (core.image_summary)."""
    import pandas as pd

    from slipway.core.confidence import top1_confidence
    from slipway.core.image_summary import SUMMARY_COLUMNS, summarize
    from slipway.runtimes import load_candidate

    x = model_input(frame, manifest)
    predicted = load_candidate(bundle_dir, manifest.selected()).predict(x)
    if manifest.input_shape is None:
        out = frame[manifest.feature_names].reset_index(drop=True).copy()
    else:
        spec = contract.tensors[0] if contract is not None else None
        low, high = (spec.min, spec.max) if spec is not None else (0.0, 1.0)
        out = pd.DataFrame(summarize(x, low, high), columns=SUMMARY_COLUMNS)
    if "label" in predicted:
        out["prediction"] = predicted["label"].astype("int64")
    else:  # a regressor: its (single) float output is the numeric `prediction` column
        out["prediction"] = regression_output(predicted).astype("float64")
    if "probabilities" in predicted and manifest.input_shape is not None:
        out["confidence"] = top1_confidence(predicted["probabilities"])
    return out, predicted


def write_signature(bundle_dir: Path, manifest: Manifest, frame, predicted: dict) -> None:
    """An MLmodel file with the signature (inputs: the features; outputs: label, probabilities)."""
    from slipway.tracking import save_signature

    example = frame[manifest.feature_names].head(EXAMPLE_ROWS).astype("float32")
    if manifest.input_shape is not None:
        example = model_input(example, manifest)
    outputs = {k: v[:EXAMPLE_ROWS] for k, v in predicted.items()}
    save_signature(
        bundle_dir / MLMODEL,
        example,
        outputs,
        {"slipway_bundle": True, "serving_candidate": manifest.selected().name},
    )


def assemble(
    candidate_dir: Path,
    manifest: Manifest,
    dest: Path,
    *,
    contract: ServingContract,
    reference,
    evidence_for,
) -> EvidenceBundle:
    """Write the bundle into `dest`; `evidence_for(stored_digests)` builds the evidence to store."""
    from slipway.drift import profiles

    selected = manifest.selected()
    others = [c for c in manifest.accepted() if c.name != selected.name]
    dest.mkdir(parents=True, exist_ok=True)
    digests = copy_candidates(candidate_dir, dest, [selected, *others])
    stored = [selected.name, *[c.name for c in others]]
    kept = manifest.model_copy(
        update={"candidates": [c for c in manifest.candidates if c.name in stored]}
    )
    layout.write_manifest(dest, kept)
    layout.write_contract(dest, contract)
    profiled, predicted = reference_with_predictions(dest, kept, reference, contract)
    layout.reference_profile_path(dest).write_bytes(
        profiles.serialize(profiles.profile_frame(profiled))
    )
    example = feature_matrix(reference.head(EXAMPLE_ROWS), kept.feature_names)
    layout.write_input_example(dest, kept.feature_names, example.tolist())
    write_signature(dest, kept, reference, predicted)
    evidence = evidence_for(digests)
    layout.write_evidence(dest, evidence)
    return evidence
