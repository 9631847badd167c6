"""`slipway release MODEL ...`: a held-out scikit-learn model (breast cancer, skops) from file to
champion with one command; a much worse version refused by the champion comparison (exit 1,
both metrics printed) before anything is registered; an equally good one passes; bad input is
exit 2 before any flow starts."""

from __future__ import annotations

import pytest

from slipway.cli import main
from tests.support.heldout import TARGET, make_heldout


@pytest.fixture(scope="module")
def heldout(tmp_path_factory):
    return make_heldout(tmp_path_factory.mktemp("heldout"))


def argv(model, heldout, *extra: str) -> list[str]:
    return [
        "release",
        str(model),
        "--eval-data",
        str(heldout.eval_data),
        "--reference-data",
        str(heldout.reference_data),
        "--target-column",
        TARGET,
        "--name",
        "cancer",
        "--targets",
        "onnx-fp32",
        *extra,
    ]


@pytest.mark.slow
def test_a_heldout_model_goes_from_file_to_champion_and_a_worse_one_is_refused(heldout, capsys):
    from slipway import registry

    # one command: file -> champion, each stage's line printed
    assert main(argv(heldout.model("cancer"), heldout)) == 0
    out = capsys.readouterr().out
    assert "release of cancer: 7 stage(s) ran, version 1: promoted" in out
    for stage in ("model-source", "validate-data", "convert-and-quantize", "benchmark-latency"):
        assert f"[{stage}]" in out
    assert "cancer has no champion yet: nothing to compare against" in out
    reg = registry.open_registry()
    assert reg.alias("cancer", registry.CHAMPION) == "1"
    assert {
        g for g, r in reg.read_evidence("cancer", "1").gates.items() if r.status == "passed"
    } == {
        "data_validation",
        "parity",
        "accuracy",
        "latency",
    }

    # a model that learnt nothing: refused by the comparison, both metrics printed, no version
    assert main(argv(heldout.model("shuffled", shuffle_labels=True), heldout)) == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if x.startswith("error: "))
    assert "champion_comparison failed: accuracy candidate 0." in line
    assert "vs champion (version 1) 0.9" in line and "mcnemar-exact" in line
    assert len(reg.versions("cancer")) == 1 and reg.alias("cancer", registry.CANDIDATE) is None

    # an equally good model (another regularisation): passes, waits as `candidate` (no gateway)
    assert main(argv(heldout.model("cancer-c03", C=0.3), heldout, "--json")) == 0
    import json

    result = json.loads(capsys.readouterr().out)
    assert (result["version"], result["outcome"]) == ("2", "registered")
    compared = result["stages"]["compare-with-champion"]
    assert compared["gates"] == {
        "champion_comparison": "passed",
        "contract_compatibility": "passed",
    }
    evidence = reg.read_evidence("cancer", "2")
    details = evidence.gates["champion_comparison"].details
    assert details["rows"] == 114 and details["test"] == "mcnemar-exact"
    assert details["champion_version"] == "1" and details["max_regression"] == 0.0
    # and the guarded promote now has everything it needs over the champion
    from tasks.promote import guarded_promote

    assert guarded_promote("cancer", "2", reason="by hand").previous == "1"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda a: a[:2], "error: releasing {model} needs --eval-data, --reference-data"),
        (
            lambda a: [*a[:7], "nope", *a[8:]],
            "has no target column 'nope'",
        ),
        (lambda a: [a[0], "missing.skops", *a[2:]], "error: missing.skops: no such model file"),
        (lambda a: [a[0], "model.pkl", *a[2:]], "(set below)"),
        (lambda a: [*a, "--max-regression", "-1"], "error: --max-regression -1.0"),
        (lambda a: [*a, "--name", "a/b"], "error: model name 'a/b'"),
        (lambda a: [*a[:3], "missing.csv", *a[4:]], "missing.csv: no such file"),
        (lambda a: [a[0], *a[2:]][:3], "error: --eval-data/--reference-data/--target-column go"),
        (lambda a: [a[0], a[3], *a[2:]], "unsupported model file type '.csv'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_before_any_flow(
    heldout, tmp_path, mutate, message, capsys
):
    model = heldout.root / "cancer-input.skops"
    if not model.exists():
        heldout.model("cancer-input")
    args = mutate(argv(model, heldout))
    if "model.pkl" in args:
        (tmp_path / "model.pkl").write_bytes(b"not really")
        args[1] = str(tmp_path / "model.pkl")
        message = "pickle/joblib files run arbitrary code"
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message.format(model=model) in err and err.count("\n") == 1, err


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (None, "digits-mlp"),
        ("models:/fraud/3", "fraud"),
        ("models:/fraud@champion", "fraud"),
        ("/data/churn-gbm.skops", "churn-gbm"),
        ("runs:/abc123/model", "model"),
    ],
)
def test_the_default_name_comes_from_the_source(model, name):
    from slipway.cli.release import default_name

    assert default_name(model) == name
