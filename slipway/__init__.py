"""slipway: a Prefect-orchestrated pipeline that takes a trained model to production.

Importing this package only sets telemetry opt-outs (there is no outside network);
it makes no directories, sets no tracking URI and builds no clients.
"""

import os as _os

__version__ = "0.1.0"

for _name, _value in {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "WHYLOGS_NO_ANALYTICS": "True",
    "OPENVINO_TELEMETRY_DISABLED": "1",  # honoured by openvino-telemetry
    "MLFLOW_ENABLE_TELEMETRY": "false",
    "TQDM_DISABLE": "1",
}.items():
    _os.environ.setdefault(_name, _value)
