"""GET /health (what is served, and whether it is degraded) and the search page."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse

from ... import __version__
from ..deps import HolderDep
from ..schemas import HealthOut

router = APIRouter(tags=["service"])


_HEALTH: dict[int | str, dict[str, Any]] = {
    200: {"model": HealthOut, "description": "An index is served (status ok or degraded)."},
    503: {"model": HealthOut, "description": "No index can be served: `problem` says why."},
}


@router.get("/health", response_model=HealthOut, responses=_HEALTH)
def health(holder: HolderDep) -> Any:
    """Liveness plus what is loaded: status (ok, degraded, unavailable) and why, counts,
    model and when the index was built. 503 when no index can be served."""
    body = holder.health() | {"version": __version__}
    return JSONResponse(body, status_code=503 if body["status"] == "unavailable" else 200)


@router.head("/health", responses=_HEALTH)
def health_head(holder: HolderDep) -> Any:
    """GET /health without the body, for probes."""
    return health(holder)


@router.get("/", include_in_schema=False)
def page() -> FileResponse:
    """The search page."""
    return FileResponse(str(resources.files("councilqa") / "static" / "index.html"))
