"""The candidate directory and the version bundle: every file name, in one place.

A *candidate directory* is what convert-and-quantize writes and benchmark-latency completes;
register-version stores it, with the evidence, as a model version's *bundle* (the MLflow run
artifact folder `bundle/`, the version's source). Paths inside are relative to the directory.

- `manifest.json` (`core.manifest.Manifest`): written by convert-and-quantize, completed by
  benchmark-latency's `write_selection`;
- `serving_contract.json` (`core.contract.ServingContract`): register-version, from
  validate-data;
- `evidence.json` (`core.evidence.EvidenceBundle`): register-version;
- `reference_profile.bin`: register-version, the whylogs profile of the reference data plus
  the predicted class `prediction`;
- `input_example.json`: register-version, `{"feature_names": [...], "inputs": [[...], ...]}`;
- `MLmodel`: register-version, the MLflow signature (for the MLflow UI).

Files a user may pass on the command line (`slipway register --validation-report ...`) or
leave beside the manifest: `validation_report.json` (`core.validation.ValidationReport`) and
`train_result.json` (`core.train_result.TrainResult`, also an artifact of the train run).

The readers (one per file, one error style) are in `slipway.layout`.
"""

from __future__ import annotations

MANIFEST = "manifest.json"
SERVING_CONTRACT = "serving_contract.json"
EVIDENCE = "evidence.json"
REFERENCE_PROFILE = "reference_profile.bin"
INPUT_EXAMPLE = "input_example.json"
MLMODEL = "MLmodel"
VALIDATION_REPORT = "validation_report.json"
TRAIN_RESULT = "train_result.json"

BUNDLE_ARTIFACT_PATH = "bundle"
"""The run artifact folder holding a version's bundle (source `runs:/<run>/bundle`)."""

BUNDLE_FILES = (MANIFEST, SERVING_CONTRACT, EVIDENCE, REFERENCE_PROFILE, INPUT_EXAMPLE, MLMODEL)
"""Every file a registered version's bundle holds besides the candidates' model files."""

VALIDATION_STORE_REPORT = "report.json"
VALIDATION_STORE_SUITE = "suite.yaml"
"""validate-data's outputs in the artifact store: `validation/<id>/{report.json,suite.yaml,
serving_contract.json}`."""
