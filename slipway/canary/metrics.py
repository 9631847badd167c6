"""Where the canary's numbers come from: one interface, two real sources.

- `GatewayMetrics`: scrapes the gateway's `/metrics` (Prometheus text) at the start and
  at the end of a window and subtracts (several replicas: their scrapes are summed).
- `PrometheusMetrics`: asks a Prometheus server (`/api/v1/query`) for each counter's
  `increase()` over the window, at the window's end.

Both raise `MetricsUnavailable` (one line naming the source) when they cannot answer:
the analysis counts it as a source error, never as data. Both also say which versions the
gateways serve now (`state`): the pre-flight `probe` and blue-green's wait for the new version
to load read it before any traffic moves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from slipway.core.canary import StepWindow
from slipway.core.promql import series_from_response, state_queries, window_queries
from slipway.core.promtext import (
    GAUGES,
    Series,
    add,
    delta,
    failed_loads,
    loaded_variants,
    parse_text,
    step_window,
)
from slipway.errors import Unavailable


class MetricsUnavailable(Unavailable):
    """The metrics source did not answer, or answered something unusable."""


@dataclass(frozen=True)
class Mark:
    """The start of a window: a monotonic time and, for scraping sources, the counters then."""

    started: float
    wall: float
    series: Series = field(default_factory=dict)


@dataclass(frozen=True)
class ServingState:
    """What the gateways behind a source serve of one model now."""

    loaded: dict[str, set[str]]
    """Version -> variants (champion, canary, shadow) it serves as on every replica."""
    failed: set[str]
    """Versions a replica wants but fails to load."""

    def champions(self) -> list[str]:
        return sorted(v for v, variants in self.loaded.items() if "champion" in variants)


class MetricsSource(Protocol):
    def describe(self) -> str: ...

    def state(self, model: str) -> ServingState: ...

    def mark(self) -> Mark: ...

    def window(
        self, mark: Mark, model: str, champion_version: str, candidate_version: str, phase: str
    ) -> StepWindow: ...


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _get(url: str, timeout_s: float, headers: dict[str, str], params: dict[str, Any] | None = None):
    import httpx

    try:
        response = httpx.get(url, params=params, timeout=timeout_s, headers=headers)
    except httpx.HTTPError as exc:
        raise MetricsUnavailable(
            f"metrics source {url} is unreachable ({type(exc).__name__}: {exc})"
        ) from None
    if response.status_code != 200:
        raise MetricsUnavailable(
            f"metrics source {url} answered HTTP {response.status_code}: "
            f"{response.text.strip()[:200]}"
        )
    return response


class GatewayMetrics:
    """The gateway's own `/metrics`, scraped at both ends of the window."""

    def __init__(
        self, base_urls: list[str] | str, timeout_s: float = 5.0, api_key: str | None = None
    ) -> None:
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        if not urls:
            raise ValueError("GatewayMetrics needs at least one gateway URL")
        self.urls = [u.rstrip("/") + "/metrics" for u in urls]
        self.timeout_s = timeout_s
        self.headers = _headers(api_key)

    def describe(self) -> str:
        return ", ".join(self.urls)

    def scrape(self) -> Series:
        total: Series = {}
        for url in self.urls:
            text = _get(url, self.timeout_s, self.headers).text
            try:
                total = add(total, parse_text(text))
            except ValueError as exc:
                raise MetricsUnavailable(f"metrics source {url}: {exc}") from None
        return total

    def mark(self) -> Mark:
        return Mark(started=time.monotonic(), wall=time.time(), series=self.scrape())

    def state(self, model: str) -> ServingState:
        """Every replica is scraped: a version counts as loaded only where all serve it."""
        loaded: dict[str, set[str]] | None = None
        failed: set[str] = set()
        for url in self.urls:
            text = _get(url, self.timeout_s, self.headers).text
            try:
                series = parse_text(text, GAUGES)
            except ValueError as exc:
                raise MetricsUnavailable(f"metrics source {url}: {exc}") from None
            here = loaded_variants(series, model)
            loaded = (
                here
                if loaded is None
                else {v: loaded[v] & here[v] for v in loaded.keys() & here.keys()}
            )
            failed |= failed_loads(series, model)
        return ServingState(loaded={v: s for v, s in (loaded or {}).items() if s}, failed=failed)

    def window(
        self, mark: Mark, model: str, champion_version: str, candidate_version: str, phase: str
    ) -> StepWindow:
        after = self.scrape()
        seconds = time.monotonic() - mark.started
        return step_window(
            delta(mark.series, after), model, champion_version, candidate_version, phase, seconds
        )


class PrometheusMetrics:
    """A Prometheus server that scrapes the gateway replicas: `increase()` over the window."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    def describe(self) -> str:
        return self.url

    def query(self, name: str, promql: str, at: float) -> Series:
        response = _get(
            f"{self.url}/api/v1/query", self.timeout_s, {}, {"query": promql, "time": f"{at:.3f}"}
        )
        try:
            body = response.json()
        except ValueError:
            raise MetricsUnavailable(
                f"metrics source {self.url}: answered something that is not JSON"
            ) from None
        try:
            return series_from_response(name, body)
        except ValueError as exc:
            raise MetricsUnavailable(f"metrics source {self.url}: {exc}") from None

    def mark(self) -> Mark:
        return Mark(started=time.monotonic(), wall=time.time())

    def state(self, model: str) -> ServingState:
        series: Series = {}
        for name, promql in state_queries(model).items():
            series = add(series, self.query(name, promql, time.time()))
        return ServingState(
            loaded=loaded_variants(series, model), failed=failed_loads(series, model)
        )

    def window(
        self, mark: Mark, model: str, champion_version: str, candidate_version: str, phase: str
    ) -> StepWindow:
        seconds = time.monotonic() - mark.started
        end = mark.wall + seconds
        series: Series = {}
        for name, promql in window_queries(model, seconds).items():
            series = add(series, self.query(name, promql, end))
        return step_window(series, model, champion_version, candidate_version, phase, seconds)


def metrics_source(
    gateway_url: str | None, prometheus_url: str | None, api_key: str | None = None
) -> MetricsSource:
    """The Prometheus server when one is given, else the gateway's `/metrics`: several
    replicas' URLs separated by commas are scraped each and summed."""
    from slipway.errors import BadInput

    if prometheus_url:
        return PrometheusMetrics(prometheus_url)
    urls = [u.strip() for u in (gateway_url or "").split(",") if u.strip()]
    if urls:
        return GatewayMetrics(urls, api_key=api_key)
    raise BadInput("no metrics source: give --gateway URL (its /metrics) or --prometheus URL")
