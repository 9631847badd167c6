"""A worker that never answers (the harness must kill it at its timeout)."""

import time

time.sleep(120)
