"""One ONNX Runtime session configuration for every server in the peers benchmark.

Each server under test (the bare floor, MLServer, LitServe, BentoML) loads the same model file
with these options, the ones slipway's gateway uses (`slipway.runtimes.onnx_session(...,
spin=False)`): ORT's default intra-op thread count, graph optimisation on, idle threads sleep
instead of spinning (a spinning pool takes CPU from the event loop on a 2-core host). The
table then compares the serving frameworks, not session settings. Imported from the peers'
own virtualenvs, so it needs only onnxruntime and numpy.
"""

from __future__ import annotations


def session(path: str):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


class Model:
    """The session plus its input name: `run(rows)` -> (labels int64 [N], probabilities [N, C])."""

    def __init__(self, path: str):
        self.session = session(path)
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]
        if self.output_names[:2] != ["label", "probabilities"]:
            raise SystemExit(
                f"{path}: expected outputs label, probabilities; got {self.output_names}"
            )

    def run(self, x):
        label, proba = self.session.run(self.output_names[:2], {self.input_name: x})
        return label, proba
