"""Dependencies: the current service (reloaded when a newer index is committed) and the
settings, as `Annotated` types routes declare."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..config import Settings
from ..service import Service, ServiceHolder
from .errors import UnsupportedMediaType


async def get_holder(request: Request) -> ServiceHolder:
    """The holder the lifespan opened (async: nothing to wait for, so no thread hop)."""
    return request.app.state.holder


def get_service(request: Request) -> Service:
    """The service for this request; 503 (IndexLoadError) when no index is usable."""
    return request.app.state.holder.current()


async def get_settings(request: Request) -> Settings:
    """The app's settings (async: nothing to wait for, so no thread hop)."""
    return request.app.state.settings


async def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON (no Content-Type is taken as JSON). Async:
    a sync dependency would cost every request a trip to the thread pool."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and kind != "application/json" and not kind.endswith("+json"):
        raise UnsupportedMediaType(
            f"Content-Type {kind[:80]!r} is not supported: send application/json"
        )


HolderDep = Annotated[ServiceHolder, Depends(get_holder)]
ServiceDep = Annotated[Service, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
