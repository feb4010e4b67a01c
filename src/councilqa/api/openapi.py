"""What the OpenAPI schema says beyond the routes' own models: the error bodies and which
statuses each route can answer, the limits that depend on settings, the filter values the
served index knows, and /docs with Swagger UI served from the package (works offline).

The schema is the contract `schemathesis run --checks all` holds the API to (see
tests/test_contract.py): every status a route can return is listed with its body.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from ..errors import CouncilQAError

SWAGGER = "/static/swagger-ui"


class ErrorOut(BaseModel):
    """Every error: `detail` says what is wrong in words."""

    detail: str


class ErrorItem(BaseModel):
    """One failed check of a request field: where, why, and a short excerpt of the input."""

    loc: list[str]
    msg: str
    type: str
    input: Any = Field(None, description="the offending value, cut to 80 characters")


class ValidationErrorOut(BaseModel):
    """A 422: `detail` joins the messages; `errors` lists them by field (validation only)."""

    detail: str
    errors: list[ErrorItem] = Field(default_factory=list)


_WHY = {
    400: "Malformed JSON body.",
    401: "Missing or wrong admin token (Authorization: Bearer <COUNCILQA_ADMIN_TOKEN>).",
    403: "Uploads are off on this server (COUNCILQA_ADMIN_TOKEN is not set).",
    404: "No such report or initiative.",
    413: "Request body over 64 KiB (declared or streamed).",
    415: "Content-Type is not application/json.",
    422: "Invalid query, parameter or filter value; `detail` names it.",
    503: "No usable index: `detail` says why (see GET /health).",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entries of a route for these error statuses."""
    return {
        s: {"model": ValidationErrorOut if s == 422 else ErrorOut, "description": _WHY[s]}
        for s in statuses
    }


def install_openapi(app: FastAPI, max_query_chars: int) -> None:
    """Serve /docs from local assets and fill the settings-dependent parts of the schema."""
    import swagger_ui_bundle

    app.mount(SWAGGER, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/docs/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        )

    built_for: list[object] = [None]  # the service the cached schema lists the values of

    def schema() -> dict[str, Any]:
        service = _served(app)
        if app.openapi_schema is None or built_for[0] is not service:
            found = get_openapi(title=app.title, version=app.version,
                                description=app.description, routes=app.routes)  # fmt: skip
            _query_limit(found, max_query_chars)
            if service is not None:
                _valid_values(found, service.catalog)
            app.openapi_schema, built_for[0] = found, service
        return app.openapi_schema

    app.openapi = schema  # type: ignore[method-assign]

    @app.get("/docs/openapi.json", include_in_schema=False)
    def docs_schema() -> dict[str, Any]:
        # The packaged Swagger UI (4.15, the newest swagger-ui-bundle ships) refuses to
        # render a document that says 3.1; what FastAPI writes reads well enough as 3.0.
        # /openapi.json, the contract, stays 3.1.
        return schema() | {"openapi": "3.0.3"}


def _served(app: FastAPI) -> Any:
    """The service being served, or None (before start-up, or with no usable index)."""
    holder = getattr(app.state, "holder", None)
    try:
        return holder.current() if holder else None
    except CouncilQAError:
        return None


def _query_limit(schema: dict[str, Any], max_query_chars: int) -> None:
    """The query length limit the settings choose."""
    for name in ("SearchRequest", "AskRequest"):
        query = schema["components"]["schemas"][name]["properties"]["query"]
        query["maxLength"] = max_query_chars
        query["description"] = query["description"].replace("1000", str(max_query_chars))


def _valid_values(schema: dict[str, Any], catalog: Any) -> None:
    """The filter values and report names of the served index, as enums."""
    filters = schema["components"]["schemas"]["Filters"]["properties"]
    sources = [r.source for r in catalog.reports]
    for name, values in (("councils", list(catalog.councils())), ("sources", sources),
                         ("sections", catalog.sections())):  # fmt: skip
        filters[name]["items"]["enum"] = values
    for path, item in schema["paths"].items():
        for operation in item.values() if path.startswith("/documents/{source}") else ():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "source":
                    parameter["schema"]["enum"] = sources
