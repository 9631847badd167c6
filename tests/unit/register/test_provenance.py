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
