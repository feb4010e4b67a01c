"""Uploading and removing reports over HTTP: off unless COUNCILQA_ADMIN_TOKEN is set.

`POST /documents?name=report.pdf` takes the file as the raw body (up to 50 MB), writes it
to a temporary folder, and hands it to `library.add_files`, which extracts it first (a
file that does not parse is refused with a 422 naming the reason, and nothing is written
to corpus/), then indexes it incrementally. The server swaps the new index in at once.
"""

from __future__ import annotations

import hmac
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool

from ...errors import QueryError
from ...sources import SUFFIXES
from ..deps import HolderDep, SettingsDep
from ..openapi import errors
from ..schemas import DocumentOut

router = APIRouter(tags=["admin"], responses=errors(401, 403, 413, 422, 503))


def check_token(settings: Any, authorization: str | None) -> None:
    """403 when uploads are off; 401 unless the bearer token is the admin token."""
    if settings.admin_token is None:
        raise HTTPException(403, "uploads are off on this server: set COUNCILQA_ADMIN_TOKEN")
    want = f"Bearer {settings.admin_token.get_secret_value()}"
    if not authorization or not hmac.compare_digest(authorization.encode(), want.encode()):
        raise HTTPException(401, "missing or wrong admin token (Authorization: Bearer …)")


def _file_name(name: str) -> str:
    clean = Path(name).name
    if clean != name or clean.startswith(".") or Path(clean).suffix.lower() not in SUFFIXES:
        supported = ", ".join(sorted(SUFFIXES))
        raise QueryError(f"name {name[:80]!r} must be a plain file name ending in {supported}")
    return clean


@router.post("/documents", status_code=201, response_model=list[DocumentOut])
async def upload(
    request: Request,
    holder: HolderDep,
    settings: SettingsDep,
    name: Annotated[str, Query(min_length=1, max_length=200, description="file name")],
    title: Annotated[str | None, Query(max_length=300)] = None,
    publisher: Annotated[str | None, Query(max_length=300)] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> list[DocumentOut]:
    """Add a report file (the raw request body) to the corpus and the index."""
    check_token(settings, authorization)
    clean = _file_name(name)
    body = await request.body()
    if not body:
        raise QueryError("the request body is empty: send the report file as the body")
    overrides = {"title": title, "publisher": publisher, "year": year}
    await run_in_threadpool(_add, settings, clean, body, overrides)
    holder.reload()
    service = holder.current()
    counts = service.catalog.initiative_counts()
    return [DocumentOut.from_report(r, counts.get(r.source, 0)) for r in service.catalog.reports]


def _add(settings: Any, name: str, body: bytes, overrides: dict[str, Any]) -> None:
    from ...config import build_config
    from ...library import add_files
    from ...service import build_embedder

    with tempfile.TemporaryDirectory(prefix="councilqa-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(body)
        add_files(
            settings.corpus_dir,
            settings.index_dir,
            build_config(settings),
            build_embedder(settings),
            [path],
            overrides,
            lambda message: None,
        )


@router.delete("/documents/{source}", status_code=204, responses=errors(404))
def delete(
    source: str,
    holder: HolderDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    """Remove a report from the corpus and the index."""
    from ...config import build_config
    from ...library import remove
    from ...service import build_embedder

    check_token(settings, authorization)
    remove(
        settings.corpus_dir,
        settings.index_dir,
        build_config(settings),
        build_embedder(settings),
        source,
        lambda message: None,
    )
    holder.reload()
