"""The import graph of slipway/, tasks/ and flows/ has no circle and never points upward.

Layers, lowest first (a module may import its own layer's lower ranks and every lower layer):

0. core: `slipway.core.*`, `slipway.errors` and the `slipway` package itself (telemetry
   opt-outs). Pure: no Prefect, MLflow, network or disk.
1. adapters: the top-level modules of `slipway/`, one per outside system (ADAPTERS). They may
   import each other (no circle).
2. stages: the packages of `slipway/` (STAGES), in the order below. A stage may import a stage
   listed before it, never one after it: the drift loop's whylogs profiles are used by
   register (the reference profile) and serving (production profiles); canary drives the
   gateway's test helpers; release (the whole DAG's parameters) builds every earlier stage's
   parameters; stack (`slipway up`, doctor) sits on top of everything. Any new stage goes
   into this list on purpose.
3. tasks: `tasks.*` (Prefect tasks over the library).
4. flows: `flows.*` (wiring; a flow may call another flow as a subflow).
5. cli: `slipway.cli.*` and `slipway.__main__`.

Imports inside functions count: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("slipway", "tasks", "flows")

ADAPTERS = (
    "settings",
    "store",
    "data",
    "tracking",
    "events",
    "runtimes",
    "registry",
    "accel",
    "modelio",
    "layout",
)
"""Top-level modules of slipway/ besides errors, __init__ and __main__: the shared foundation."""
STAGES = (
    "train",
    "validation",
    "convert",
    "latency",
    "drift",
    "compare",
    "register",
    "serving",
    "canary",
    "release",
    "webhooks",
    "stack",
)
"""Stage packages of slipway/, lowest first."""
CORE, ADAPTER, STAGE, TASKS, FLOWS, CLI = range(6)
LAYER_NAMES = ("core", "adapters", "stages", "tasks", "flows", "cli")


def module_files() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def rank(module: str) -> tuple[int, int]:
    """(layer, rank within the layer) of a module; stages are ranked by STAGES."""
    parts = module.split(".")
    if parts[0] == "tasks":
        return TASKS, 0
    if parts[0] == "flows":
        return FLOWS, 0
    if module in ("slipway", "slipway.errors") or parts[:2] == ["slipway", "core"]:
        return CORE, 0
    if parts[1] in ("cli", "__main__"):
        return CLI, 0
    if parts[1] in STAGES:
        return STAGE, STAGES.index(parts[1])
    if parts[1] in ADAPTERS and len(parts) == 2:
        return ADAPTER, 0
    raise AssertionError(f"{module}: not in any layer; add it to ADAPTERS or STAGES on purpose")


def imports_of(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every slipway/tasks/flows module `module` imports, anywhere in the file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                targets.add(name)
    return targets


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = module_files()
    return {m: imports_of(m, p, known) for m, p in known.items()}


def test_every_module_has_a_layer(graph):
    for module in graph:
        rank(module)  # raises naming the module


def test_no_module_imports_upward(graph):
    upward = []
    for module, targets in graph.items():
        layer, order = rank(module)
        for target in targets:
            t_layer, t_order = rank(target)
            if t_layer > layer or (t_layer == layer == STAGE and t_order > order):
                upward.append(
                    f"{module} ({LAYER_NAMES[layer]}) -> {target} ({LAYER_NAMES[t_layer]})"
                )
    assert upward == [], "upward imports:\n" + "\n".join(sorted(upward))


def test_no_import_circle(graph):
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert circles == [], "import circles: " + "; ".join(" <-> ".join(c) for c in circles)


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    """The walker finds imports inside functions; an upward one would be reported."""
    known = {
        "slipway.registry": tmp_path,
        "slipway.register.stage": tmp_path,
        "slipway.core.tags": tmp_path,
    }
    source = tmp_path / "registry.py"
    source.write_text(
        "from slipway.core import tags\n\ndef f():\n    from slipway.register import stage\n"
    )
    found = imports_of("slipway.registry", source, known)
    assert found == {"slipway.core.tags", "slipway.register.stage"}
    assert rank("slipway.register.stage")[0] > rank("slipway.registry")[0]


def test_library_modules_stay_off_prefect_and_raw_mlflow():
    """Prefect only in events and the CLI; MlflowClient only in the registry and tracking
    adapters."""
    prefect, mlflow_client = [], []
    for module, path in module_files().items():
        if not module.startswith("slipway."):
            continue
        text = path.read_text()
        if ("from prefect" in text or "import prefect" in text) and not (
            module == "slipway.events" or module.startswith("slipway.cli")
        ):
            prefect.append(module)
        if "MlflowClient(" in text and module not in ("slipway.registry", "slipway.tracking"):
            mlflow_client.append(module)
    assert prefect == [] and mlflow_client == []
