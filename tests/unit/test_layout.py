"""slipway.layout: one reader per bundle file, one error style (the path and what to do)."""

from __future__ import annotations

import pytest

from slipway import layout
from slipway.core import layout as names
from slipway.core.contract import FeatureSpec, ServingContract
from slipway.core.manifest import Candidate, Manifest
from slipway.errors import BadInput

READERS = [
    (layout.read_manifest, names.MANIFEST, "candidate manifest"),
    (layout.read_contract, names.SERVING_CONTRACT, "serving contract"),
    (layout.read_evidence, names.EVIDENCE, "evidence bundle"),
    (layout.read_input_example, names.INPUT_EXAMPLE, "input example"),
]


@pytest.mark.parametrize(("read", "filename", "what"), READERS)
def test_a_missing_file_names_the_path_and_what_to_do(tmp_path, read, filename, what):
    with pytest.raises(BadInput) as caught:
        read(tmp_path)
    message = str(caught.value)
    assert (
        str(tmp_path) in message and filename in message and ": " in message.split(filename, 1)[1]
    )


@pytest.mark.parametrize(("read", "filename", "what"), READERS)
def test_a_malformed_file_names_the_path_and_the_problem(tmp_path, read, filename, what):
    (tmp_path / filename).write_text("{not json")
    with pytest.raises(BadInput, match=rf"{filename}: not a valid {what} \(.+\): "):
        read(tmp_path)


@pytest.mark.parametrize(
    ("read", "filename", "what"),
    [
        (layout.read_validation_report, names.VALIDATION_REPORT, "validation report"),
        (layout.read_train_result, names.TRAIN_RESULT, "train result"),
    ],
)
def test_files_a_user_passes_are_validated_into_their_models(tmp_path, read, filename, what):
    path = tmp_path / filename
    with pytest.raises(BadInput, match=rf"{filename}: no such {what} file: "):
        read(path)
    path.write_text('{"run_id": 3}')
    with pytest.raises(BadInput, match=rf"not a valid {what}"):
        read(path)


def test_written_files_read_back_as_the_same_models(tmp_path):
    manifest = Manifest(
        candidates=[
            Candidate(
                name="a",
                format="onnx",
                runtime="onnxruntime",
                path="a/model.onnx",
                status="accepted",
            )
        ]
    )
    contract = ServingContract(features=[FeatureSpec(name="x", dtype="float32", min=0.0, max=1.0)])
    layout.write_manifest(tmp_path, manifest)
    layout.write_contract(tmp_path, contract)
    layout.write_input_example(tmp_path, ["x"], [[0.5]])
    assert layout.read_manifest(tmp_path) == manifest
    assert layout.read_contract(tmp_path) == contract
    assert layout.read_contract(tmp_path / names.SERVING_CONTRACT) == contract
    assert layout.read_input_example(tmp_path) == {"feature_names": ["x"], "inputs": [[0.5]]}
    assert {p.name for p in tmp_path.iterdir()} == {
        names.MANIFEST,
        names.SERVING_CONTRACT,
        names.INPUT_EXAMPLE,
    }


def test_a_bundle_without_reference_profile_says_how_to_get_one(tmp_path):
    with pytest.raises(
        BadInput,
        match=r"reference_profile.bin: no such reference profile file for "
        r"model m version 3: register the version again",
    ):
        layout.read_reference_profile(tmp_path, what="model m version 3")


def test_no_library_module_spells_out_a_bundle_file_name():
    """The names live in slipway.core.layout; everything else imports them."""
    from pathlib import Path

    root = Path(layout.__file__).resolve().parent
    spelled = []
    for path in [
        *root.rglob("*.py"),
        *(root.parent / "tasks").rglob("*.py"),
        *(root.parent / "flows").rglob("*.py"),
    ]:
        if path.name == "layout.py" or "/cli/" in path.as_posix():
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            for name in (
                names.SERVING_CONTRACT,
                names.EVIDENCE,
                names.REFERENCE_PROFILE,
                names.INPUT_EXAMPLE,
                names.VALIDATION_REPORT,
                names.TRAIN_RESULT,
            ):
                if f'"{name}"' in code or f"'{name}'" in code or f'/ "{name}' in code:
                    spelled.append(f"{path.relative_to(root.parent)}:{number}")
            if '"manifest.json"' in code:
                spelled.append(f"{path.relative_to(root.parent)}:{number}")
    assert spelled == []


def openvino_candidate(root, weights: bytes) -> Candidate:
    folder = root / "openvino-fp32"
    folder.mkdir(parents=True)
    (folder / "model.xml").write_text("<net/>")
    (folder / "model.bin").write_bytes(weights)
    return Candidate(
        name="openvino-fp32",
        format="openvino-ir",
        runtime="openvino",
        path="openvino-fp32/model.xml",
        files=["openvino-fp32/model.bin", "openvino-fp32/model.xml"],
        status="accepted",
    )


def test_candidate_identity_covers_the_weights_and_not_the_folder(tmp_path):
    # given the same IR in two folders and one with other weights
    a = layout.candidate_identity(tmp_path / "a", openvino_candidate(tmp_path / "a", b"\x01"))
    b = layout.candidate_identity(tmp_path / "b", openvino_candidate(tmp_path / "b", b"\x01"))
    c = layout.candidate_identity(tmp_path / "c", openvino_candidate(tmp_path / "c", b"\x02"))
    # then the same files give the same identity, other weights another one
    assert a == b and a[0] != c[0]
    assert set(a[1]) == {"openvino-fp32/model.xml", "openvino-fp32/model.bin"}


def test_candidate_identity_refuses_a_file_outside_the_directory(tmp_path):
    candidate = openvino_candidate(tmp_path / "a", b"\x01")
    candidate.files.append("../outside.bin")
    (tmp_path / "outside.bin").write_bytes(b"x")
    with pytest.raises(BadInput, match="outside"):
        layout.candidate_identity(tmp_path / "a", candidate)
