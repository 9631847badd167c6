"""What a release checks on the gateways before traffic moves.

- `probe_source`: before any routing change, the metrics source answers and shows the model
  served with the registry's champion. Without it a canary triggered with no gateway (or one
  that reads another registry) would see only empty windows and reject a good version; with it
  the run fails with the reason and the version and the routing stay as they were.
- `wait_loaded`: blue-green's warm-up. The routing names the new version at 0 %; the gateways
  load and warm it beside the champion, and the switch waits until every replica serves it
  (or one reports that it cannot load it).
"""

from __future__ import annotations

import time

from slipway.canary.metrics import MetricsSource, MetricsUnavailable

WHERE = (
    "point the canary at a gateway that serves it (--gateway URL or --prometheus URL; for the "
    "canary-release deployment the job variable SLIPWAY_GATEWAY_URL)"
)


def probe_source(
    source: MetricsSource,
    model: str,
    champion: str,
    wait_s: float = 5.0,
    interval_s: float = 0.25,
) -> str:
    """One line on what the source serves; MetricsUnavailable (one line, what to do) when it
    cannot answer or does not serve `champion` of `model` within `wait_s` (a gateway that
    has not polled the registry since the last promotion is given that long)."""
    deadline = time.monotonic() + wait_s
    while True:
        state = source.state(model)  # unreachable or unparseable: raises at once
        champions = state.champions()
        if champion in champions:
            return (
                f"metrics source: {source.describe()} answers; model {model} is served with "
                f"champion version {champion}"
            )
        if time.monotonic() >= deadline:
            break
        time.sleep(interval_s)
    if not champions:
        raise MetricsUnavailable(
            f"metrics source {source.describe()} shows no version of model {model!r} serving: "
            f"start a gateway for it (`slipway serve --models {model}`) or {WHERE}"
        )
    raise MetricsUnavailable(
        f"metrics source {source.describe()} shows model {model!r} served with champion "
        f"version {', '.join(champions)}, but the registry's champion is {champion}: the gateway "
        "reads another registry (check its SLIPWAY_TRACKING_URI / SLIPWAY_HOME) or "
        f"{WHERE.removeprefix('point the canary at ')}"
    )


def wait_loaded(
    source: MetricsSource,
    model: str,
    version: str,
    timeout_s: float,
    interval_s: float = 0.25,
) -> str | None:
    """Wait until every replica serves `version` beside the champion (as canary or shadow).
    None when it does; else the reason (it failed to load, or took longer than `timeout_s`).
    A source that stops answering counts as not loaded yet."""
    deadline = time.monotonic() + timeout_s
    last_error = ""
    while True:
        try:
            state = source.state(model)
        except MetricsUnavailable as exc:
            last_error = f" (last answer: {exc})"
        else:
            if state.loaded.get(version, set()) & {"canary", "shadow"}:
                return None
            if version in state.failed:
                return (
                    f"the gateway failed to load version {version} (slipway_model_load_failed "
                    "is 1): its log says why"
                )
        if time.monotonic() >= deadline:
            return (
                f"the gateways behind {source.describe()} did not load version {version} within "
                f"{timeout_s:g} s{last_error}"
            )
        time.sleep(interval_s)
