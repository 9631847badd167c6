"""Loading the drift policy file: the example parses, bad files get one clear line."""

from __future__ import annotations

import pytest

from slipway.drift.policy_file import EXAMPLE_POLICY, load_policy
from slipway.errors import BadInput


def test_example_policy_loads():
    policy = load_policy(EXAMPLE_POLICY)
    assert policy.rule("pixel_21", numeric=True).weight == 3
    assert policy.rule("pixel_43", numeric=True).test == "hellinger"
    assert policy.cooldown == "24h"
    assert (policy.correction, policy.null_threshold, policy.alpha) == ("bh", 0.05, 0.01)


@pytest.mark.parametrize("path", [None, ""])
def test_no_file_gives_the_defaults(path):
    assert load_policy(path).alpha == 0.05


@pytest.mark.parametrize(
    "text, message",
    [
        ("alpha: [", "not valid YAML"),
        ("- 1\n- 2\n", "the top level must be a mapping"),
        ("cooldown: tomorrow\n", "cooldown: Value error, duration 'tomorrow'"),
        ("features:\n  x: {weight: -2}\n", "features.x.weight"),
        ("retrain: {drift_share: 2}\n", "retrain.drift_share"),
        ("typo: 1\n", "typo: Extra inputs are not permitted"),
        ("correction: fdr\n", "correction: Input should be 'bh', 'holm' or 'none'"),
    ],
)
def test_bad_policy_files(tmp_path, text, message):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(BadInput, match=message.replace("[", r"\[")) as exc:
        load_policy(path)
    assert str(path) in str(exc.value)


def test_missing_policy_file(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        load_policy(tmp_path / "nope.yaml")


def test_empty_policy_file_is_the_defaults(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("")
    assert load_policy(path).min_rows == 50
