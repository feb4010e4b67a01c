"""Dependencies: the current service (reloaded when a newer index is committed) and the
settings, as `Annotated` types routes declare."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..config import Settings
from ..service import Service, ServiceHolder


async def get_holder(request: Request) -> ServiceHolder:
    """The holder the lifespan opened (async: nothing to wait for, so no thread hop)."""
    return request.app.state.holder


def get_service(request: Request) -> Service:
    """The service for this request; 503 (IndexLoadError) when no index is usable."""
    return request.app.state.holder.current()


async def get_settings(request: Request) -> Settings:
    """The app's settings (async: nothing to wait for, so no thread hop)."""
    return request.app.state.settings


HolderDep = Annotated[ServiceHolder, Depends(get_holder)]
ServiceDep = Annotated[Service, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
