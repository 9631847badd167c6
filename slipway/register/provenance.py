"""Where a version came from: the Python and pinned package set, the code revision."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

from slipway.core.evidence import Environment

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def environment(root: Path = PROJECT_ROOT) -> Environment:
    """Python version and sha256 of `constraints.txt` (the pinned package set), when present."""
    from slipway.store import sha256_file

    constraints = root / "constraints.txt"
    return Environment(
        python=platform.python_version(),
        packages_sha256=sha256_file(constraints) if constraints.is_file() else None,
        platform=f"{platform.system()} {platform.machine()}",
    )


def code_revision(root: Path = PROJECT_ROOT) -> str | None:
    """The git commit of the project (with `-dirty` when the tree has changes), or None outside
    git."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    sha = git("rev-parse", "HEAD")
    if not sha:
        return None
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{sha}-dirty" if dirty else sha
