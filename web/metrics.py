"""Prometheus metrics: requests and latency by route, searches, cache hits, limiter rejections, index and update state.

Counters and histograms come from prometheus_client. With several web workers (``kb serve --workers N``) each
worker writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` (answered by any worker)
sums them over all workers; ``web.metricsdir`` sets that directory up before the workers start (the
variable must be set before prometheus_client is imported in a worker). The index and update gauges are read
when scraped: the index from the answering worker's backend (every worker serves the same published
generation), the last update from the data directory (kb.updatestatus).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.backend import SearchBackend
from kb.updatestatus import read_outcome
from web.metricsdir import MULTIPROC_ENV

OTHER_ROUTE = "annan"  # requests no route matched (404s, rejected hosts): one label, so the label set stays small
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})  # any other method is labelled "annan"

_LOCAL = CollectorRegistry(auto_describe=True)  # this process's metrics, when not in multi-process mode

REQUESTS = Counter("kb_http_requests_total", "HTTP requests by route name, method and status", ["route", "method", "status"],
                   registry=_LOCAL)
LATENCY = Histogram("kb_http_request_duration_seconds", "Time to answer an HTTP request, by route name", ["route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0), registry=_LOCAL)
SEARCHES = Counter("kb_searches_total", "Searches asked for (pages, feeds and API; cached answers included)", registry=_LOCAL)
CACHE_HITS = Counter("kb_search_cache_hits_total", "Searches answered from a worker's response cache", registry=_LOCAL)
LIMITER_REJECTIONS = Counter("kb_search_limiter_rejections_total", "Searches refused (503) because no search slot came free",
                             registry=_LOCAL)


class StateCollector(Collector):
    """Gauges read when scraped: the published index (from the backend) and the last `kb update` (data directory)."""

    def __init__(self, backend: SearchBackend, data_dir: Path) -> None:
        self.backend = backend
        self.data_dir = data_dir

    def _gauge(self, name: str, doc: str, value: float) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, doc, value=value)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        backend = self.backend
        yield self._gauge("kb_index_available", "1 while a published index generation is open", float(backend.available))
        yield self._gauge("kb_index_documents", "Documents in the open index generation", float(backend.doc_count))
        yield self._gauge("kb_index_ranks_by_meaning", "1 while whole questions are re-ranked by meaning (the open generation "
                          "has vectors and KB_SEMANTIC is on)", float(backend.ranks_by_meaning))
        built = iso_timestamp(backend.built_at)
        if built is not None:
            yield self._gauge("kb_index_built_timestamp_seconds", "When the open generation was built (Unix time)", built)
            yield self._gauge("kb_index_age_seconds", "Age of the open index generation", max(0.0, time.time() - built))
        outcome = read_outcome(self.data_dir)
        if outcome is not None:
            yield self._gauge("kb_update_exit_code", "Exit code of the last kb update", float(outcome.exit_code))
            yield self._gauge("kb_update_duration_seconds", "Duration of the last kb update", outcome.seconds)
            yield self._gauge("kb_update_last_run_timestamp_seconds", "When the last kb update finished (Unix time)", outcome.finished)
            if outcome.last_success is not None:
                yield self._gauge("kb_update_last_success_timestamp_seconds", "When the newest kb update that exited 0 started",
                                  outcome.last_success)


def iso_timestamp(iso: str) -> float | None:
    try:
        return datetime.fromisoformat(iso).timestamp() if iso else None
    except ValueError:
        return None


class MetricsEndpoint:
    """``GET /metrics``: the Prometheus text format (every worker's counters in multi-process mode)."""

    def __init__(self, backend: SearchBackend, data_dir: Path) -> None:
        self.state = StateCollector(backend, data_dir)

    def registry(self) -> CollectorRegistry:
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry = CollectorRegistry()
            registry.register(_Forward(_LOCAL))
        registry.register(self.state)
        return registry

    async def handle(self, request: Request) -> Response:
        return Response(generate_latest(self.registry()), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


class _Forward(Collector):
    """Exposes another registry's metrics inside a per-scrape registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[object]:  # type: ignore[override]
        yield from self.source.collect()


class MetricsMiddleware:
    """Counts every request and times it, labelled by the matched route's name (``annan`` when none matched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "name", None) or OTHER_ROUTE
            method = str(scope.get("method", ""))
            REQUESTS.labels(route, method if method in METHODS else OTHER_ROUTE, str(status)).inc()
            LATENCY.labels(route).observe(time.perf_counter() - started)
