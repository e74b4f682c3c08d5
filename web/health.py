"""Endpoints for load balancers and monitoring: /healthz (the process answers), /readyz (an index is served), /metrics."""

from __future__ import annotations

import time
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kb.backend import SearchBackend
from kb.updatestatus import outcome_fields, read_outcome
from web.metrics import MetricsEndpoint, iso_timestamp

NO_STORE = {"Cache-Control": "no-store"}


class Health:
    """Liveness and readiness of one worker, as small JSON bodies that are never cached."""

    def __init__(self, backend: SearchBackend, data_dir: Path) -> None:
        self.backend = backend
        self.data_dir = data_dir

    async def healthz(self, request: Request) -> Response:
        """Liveness: the process answers (a load balancer restarts it when this fails)."""
        return JSONResponse({"status": "ok"}, headers=NO_STORE)

    async def readyz(self, request: Request) -> Response:
        """Readiness: 200 while a published index generation is open and readable, 503 otherwise."""
        backend = self.backend
        update = outcome_fields(read_outcome(self.data_dir))
        if not backend.available or not backend.generation:
            body: dict[str, object] = {"status": "unavailable", "reason": "inget publicerat sökindex är öppet", "update": update}
            return JSONResponse(body, status_code=503, headers=NO_STORE | {"Retry-After": "60"})
        built = iso_timestamp(backend.built_at)
        age = None if built is None else max(0, round(time.time() - built))
        body = {"status": "ok", "generation": backend.generation, "documents": backend.doc_count, "built_at": backend.built_at,
                "age_seconds": age, "update": update}
        return JSONResponse(body, headers=NO_STORE)


def ops_routes(backend: SearchBackend, data_dir: Path) -> list[BaseRoute]:
    """/healthz, /readyz and /metrics for the app's route list."""
    health = Health(backend, data_dir)
    return [
        Route("/healthz", health.healthz, methods=["GET", "HEAD"], name="healthz"),
        Route("/readyz", health.readyz, methods=["GET", "HEAD"], name="readyz"),
        Route("/metrics", MetricsEndpoint(backend, data_dir).handle, methods=["GET", "HEAD"], name="metrics"),
    ]
