"""Save and load scikit-learn models without pickle (skops).

Loading audits the file first: only scikit-learn and NumPy types are trusted. Anything
else is refused with the type names, so a model file can never run arbitrary code.
"""

from __future__ import annotations

from pathlib import Path

from slipway.errors import BadInput

TRUSTED_PREFIXES = ("sklearn.", "numpy.", "builtins.", "collections.")


def save_sklearn(model, path: str | Path) -> Path:
    import skops.io as sio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, path)
    return path


def load_sklearn(path: str | Path):
    """Load a skops file, trusting only scikit-learn / NumPy types."""
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such model file")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise BadInput(
            f"{path}: not a readable skops model ({str(exc).splitlines()[0][:200]})"
        ) from None
    refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise BadInput(
            f"{path}: the model contains types slipway does not trust: {', '.join(refused)}; "
            "only scikit-learn and NumPy types load"
        )
    return sio.load(path, trusted=untrusted)
