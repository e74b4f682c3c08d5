"""The API is what its served OpenAPI document says, checked by schemathesis: every operation, parameter, status and media type.

Property-based and derandomized (the same examples on every run), bounded per operation: positive and negative
(schema-violating) requests, schemathesis' built-in checks (no undocumented status or 5xx, the documented media
type, problem+json included, responses valid against their schemas, invalid input rejected, valid input accepted)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.generation.modes import GenerationMode
from schemathesis.python import asgi

from kb.settings import Settings
from web.app import create_app

MAX_EXAMPLES = 80  # per operation and generation mode: the module stays within ~30 s on the 2-core machine
OPERATIONS = ["/api/v1/search", "/api/v1/suggest"]  # what schemathesis lists (it leaves out the document's own path)
CASES = [(path, mode) for path in OPERATIONS for mode in GenerationMode] + [("/api/v1/openapi.json", GenerationMode.POSITIVE)]


@pytest.fixture(scope="module")
def api_schema(built_index: Settings, service: Any) -> Iterator[Any]:
    """The document as the app serves it, loaded through the app (an app of its own: schemathesis keeps its lifespan)."""
    app = create_app(built_index, service)
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    asgi.shutdown_lifespans()


def test_every_operation_is_tested(api_schema: Any) -> None:
    assert sorted(result.ok().path for result in api_schema.get_all_operations()) == sorted(OPERATIONS)
    assert set(api_schema.raw_schema["paths"]) == {path for path, _ in CASES}


@pytest.mark.parametrize(("path", "mode"), CASES, ids=[f"{path}-{mode}" for path, mode in CASES])
def test_the_api_is_what_its_openapi_says(api_schema: Any, path: str, mode: GenerationMode) -> None:
    operation = api_schema[path]["GET"]

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck), phases=[hypothesis.Phase.generate])
    def check(case: Any) -> None:
        case.call_and_validate(base_url="http://testserver")

    check()

