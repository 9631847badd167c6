"""Fixtures for canary tests: one registry (module scope) with a promoted champion, and
candidates registered through register-version's real function. Import them explicitly."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from tasks.promote import guarded_promote
from tests.support import canary_builders as builders

NAME = "digits"
_tags = itertools.count()


@dataclass(frozen=True)
class CanaryHome:
    home: Path
    name: str
    champion: str
    work: Path

    def register(self, candidate_dir: Path, trained, model=None) -> str:
        """Register a candidate (the champion's graph, or `model`) as a new version; unique sha
        each time."""
        base = model if model is not None else builders.served_model(candidate_dir)
        tag = next(_tags)
        dest = builders.candidate_with(
            candidate_dir, self.work / f"candidate-{tag}", builders.relabel(base, str(tag))
        )
        return builders.register(dest, self.name, trained)

    def register_unvalidated(self, candidate_dir: Path, trained) -> str:
        """A version whose evidence lacks the data validation gate (pre-flight rejects it)."""
        from slipway.data import read_table
        from tasks.register_version import register_candidate
        from tests.support.candidates import contract_for

        tag = f"unvalidated-{next(_tags)}"
        dest = builders.candidate_with(
            candidate_dir,
            self.work / tag,
            builders.relabel(builders.served_model(candidate_dir), tag),
        )
        reference = read_table(trained.data_uris["reference"])
        return register_candidate(
            dest,
            self.name,
            contract=contract_for(reference, trained.target_column),
            validation_report=None,
            train_result=trained,
        ).version


@pytest.fixture(scope="module")
def canary_home(tmp_path_factory, trained, candidate_dir) -> CanaryHome:

    home = tmp_path_factory.mktemp("canary-home")
    work = tmp_path_factory.mktemp("canary-work")
    patch = pytest.MonkeyPatch()
    patch.setenv("SLIPWAY_HOME", str(home))
    try:
        champion_dir = builders.candidate_with(candidate_dir, work / "champion")
        version = builders.register(champion_dir, NAME, trained)
        guarded_promote(NAME, version, reason="test champion")
    finally:
        patch.undo()
    return CanaryHome(home=home, name=NAME, champion=version, work=work)


@pytest.fixture
def in_canary_home(canary_home, slipway_home, monkeypatch) -> CanaryHome:
    """This test runs against the module's registry (not its own empty SLIPWAY_HOME)."""
    monkeypatch.setenv("SLIPWAY_HOME", str(canary_home.home))
    return canary_home
