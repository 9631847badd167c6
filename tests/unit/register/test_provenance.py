"""Environment and code revision recorded in the evidence."""

from __future__ import annotations

import hashlib
import platform

from slipway.register import provenance


def test_environment_hashes_the_pinned_package_set(tmp_path):
    (tmp_path / "constraints.txt").write_text("numpy==2.4.0\n")
    env = provenance.environment(tmp_path)
    assert env.python == platform.python_version()
    assert env.packages_sha256 == hashlib.sha256(b"numpy==2.4.0\n").hexdigest()


def test_environment_without_constraints_has_no_hash(tmp_path):
    assert provenance.environment(tmp_path).packages_sha256 is None


def test_code_revision_is_the_git_sha_or_none(tmp_path):
    revision = provenance.code_revision()
    assert revision is None or len(revision.removesuffix("-dirty")) == 40
    assert provenance.code_revision(tmp_path) is None  # not a git work tree


def test_a_regressors_prediction_column_is_its_float_output():
    import numpy as np

    from slipway.register.bundle import regression_output

    # given a regressor's outputs ([N, 1] `variable`, or a single unnamed output)
    value = np.array([[1.5], [2.5], [-3.0]], dtype=np.float32)
    # then the prediction per row is the float value
    np.testing.assert_array_equal(regression_output({"variable": value}), [1.5, 2.5, -3.0])
    np.testing.assert_array_equal(regression_output({"y": value.ravel()}), [1.5, 2.5, -3.0])
    # and several outputs without `variable` are refused
    import pytest

    with pytest.raises(ValueError, match="no `label` or `variable`"):
        regression_output({"a": value, "b": value})
