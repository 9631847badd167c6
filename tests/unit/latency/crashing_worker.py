"""A worker that dies the way a runtime's native crash does: a signal, no JSON."""

import os

os.abort()
