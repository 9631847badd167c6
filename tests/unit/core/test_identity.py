"""A candidate's identity: one digest over every file it consists of (issue 19 item 1)."""

from __future__ import annotations

import pytest

from slipway.core.manifest import identity_of

XML, BIN = "model.xml", "model.bin"


def test_the_identity_covers_every_file():
    # given an OpenVINO IR's two files / when only the weights change / then the identity changes
    before = identity_of({XML: "a" * 64, BIN: "b" * 64})
    assert identity_of({XML: "a" * 64, BIN: "c" * 64}) != before
    assert identity_of({XML: "d" * 64, BIN: "b" * 64}) != before


def test_the_identity_does_not_depend_on_the_listing_order():
    assert identity_of({XML: "a" * 64, BIN: "b" * 64}) == identity_of(
        {BIN: "b" * 64, XML: "a" * 64}
    )


@pytest.mark.parametrize(
    "other",
    [
        {"model2.xml": "a" * 64, BIN: "b" * 64},  # a file renamed
        {XML: "a" * 64},  # a file dropped
        {XML: "a" * 64, BIN: "b" * 64, "extra.bin": "e" * 64},  # a file added
    ],
)
def test_renaming_adding_or_dropping_a_file_changes_the_identity(other):
    assert identity_of(other) != identity_of({XML: "a" * 64, BIN: "b" * 64})


def test_a_candidate_without_files_has_no_identity():
    with pytest.raises(ValueError, match="at least one file"):
        identity_of({})
