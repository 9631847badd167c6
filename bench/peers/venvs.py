"""Each peer server in its own virtualenv under bench/.venvs/<peer> (git-ignored).

The peers (MLServer, LitServe, BentoML, MLflow) are what users would pick instead of slipway,
never its dependencies: their pins (`requirements-<peer>.txt` beside this file) would clash
with the project's (uvloop, pandas, FastAPI, ...). A venv is created on first use and rebuilt
when its requirements file changes (a stamp holds the file's sha256), so a rerun costs nothing.
The starters call `ensure` only for the servers a run asks for (`--only`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

PEERS_DIR = Path(__file__).resolve().parent
# SLIPWAY_BENCH_VENVS moves them (the smoke test points it at a temp folder that must stay empty)
VENVS_DIR = Path(os.environ.get("SLIPWAY_BENCH_VENVS") or PEERS_DIR.parent / ".venvs")
STAMP = ".requirements.sha256"


class VenvError(RuntimeError):
    """A peer's virtualenv could not be created: the message names it and what to do."""


def requirements_file(peer: str) -> Path:
    return PEERS_DIR / f"requirements-{peer}.txt"


def venv_python(peer: str, root: Path = VENVS_DIR) -> Path:
    return root / peer / "bin" / "python"


def is_current(peer: str, root: Path = VENVS_DIR) -> bool:
    stamp = root / peer / STAMP
    return stamp.is_file() and stamp.read_text().strip() == _digest(requirements_file(peer))


def ensure(peer: str, root: Path = VENVS_DIR, log=print) -> Path:
    """The peer's python, creating (or rebuilding) its virtualenv first when needed."""
    req = requirements_file(peer)
    if not req.is_file():
        raise VenvError(f"{req}: no requirements file for peer {peer!r}")
    venv = root / peer
    if is_current(peer, root):
        return venv_python(peer, root)
    log(f"creating {venv} from {req.name} (first use: a minute or two) ...")
    # --clear: a half-built or outdated venv is replaced, not patched
    _run([sys.executable, "-m", "venv", "--clear", str(venv)], peer)
    _run(
        [
            str(venv_python(peer, root)),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(req),
        ],
        peer,
    )
    (venv / STAMP).write_text(_digest(req) + "\n")
    return venv_python(peer, root)


def installed_version(python: Path, package: str) -> str:
    out = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() if out.returncode == 0 else "?"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(cmd: list[str], peer: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise VenvError(
            f"bench/.venvs/{peer}: `{' '.join(cmd[:4])} ...` failed ({' | '.join(tail)}); "
            f"fix {requirements_file(peer).name} or the network, then rerun"
        )
