"""The HTTP API: an app factory whose lifespan opens the index once.

`create_app(settings)` wires the routers (one per resource: search, documents, service),
the error handlers (domain errors to status codes in one place) and the limits. Routes are
a few lines each: request schema in, one domain call, response schema out. Nothing heavy
happens at import: `import councilqa.api` does not import the build pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .. import __version__, store
from ..config import Settings, get_settings
from ..embedding import Embedder
from ..service import ServiceHolder
from .errors import install_error_handlers
from .limits import BodyLimit
from .openapi import install_openapi
from .routes import admin, documents, search, service

log = logging.getLogger("councilqa")


def create_app(
    settings: Settings | None = None, embedder: Embedder | None = None, corpus_problem: str = ""
) -> FastAPI:
    """Build the app; `embedder` may be passed in (tests share one loaded model);
    `corpus_problem` says why corpus/ could not be indexed (GET /health reports it)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for path in store.clean_stale_builds(settings.index_dir):
            log.warning("removed %s, left by a build that did not finish", path)
        app.state.holder = ServiceHolder(settings, embedder)
        app.state.holder.corpus_problem = corpus_problem
        yield

    app = FastAPI(
        title="councilqa",
        version=__version__,
        lifespan=lifespan,
        description="Cited answers from reports on what UK councils have done.",
        docs_url=None,  # served by install_openapi from local assets
        redoc_url=None,  # ReDoc loads from a CDN: blank offline
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodyLimit)
    install_openapi(app, settings.max_query_chars)
    for router in (search.router, documents.router, admin.router, service.router):
        app.include_router(router)
    static = resources.files("councilqa") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app
