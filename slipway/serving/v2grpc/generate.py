"""Regenerate `grpc_predict_v2_pb2.py` from `grpc_predict_v2.proto` (`make grpc-stubs`).

The generated module is committed: installing slipway then needs neither protoc nor
grpcio-tools (a dev-only dependency), and the code matches the pinned protobuf runtime.
One edit is made to protoc's output: the messages go into a private descriptor pool, not
the process-wide one, because tritonclient (and any other OIP client in the same process)
registers the same `inference.*` names from its own copy of the protocol and the default
pool refuses a second definition. The service is registered by method name in
`slipway.serving.grpc_server`, so no `_pb2_grpc.py` is generated.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROTO = "slipway/serving/v2grpc/grpc_predict_v2.proto"
_DEFAULT = "DESCRIPTOR = _descriptor_pool.Default().AddSerializedFile("
_PRIVATE = (
    "_POOL = _descriptor_pool.DescriptorPool()  # private: tritonclient defines inference.* too\n"
    "DESCRIPTOR = _POOL.AddSerializedFile("
)


def generate(root: Path, out: Path) -> Path:
    """Run protoc on the proto under `root`, write the module under `out`, return its path."""
    from grpc_tools import protoc

    code = protoc.main(["protoc", f"-I{root}", f"--python_out={out}", str(root / PROTO)])
    if code != 0:
        raise RuntimeError(f"protoc failed ({code}) on {PROTO}")
    module = out / PROTO.replace(".proto", "_pb2.py")
    text = module.read_text()
    if _DEFAULT not in text:
        raise RuntimeError("protoc output changed: no default-pool line to make private")
    module.write_text(text.replace(_DEFAULT, _PRIVATE))
    return module


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[3]
    print(generate(root, root), file=sys.stderr)
