"""The index's contents: reports (their text and original file), initiatives, councils and
sections. Every text comes from the catalogue, never from corpus/."""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from ...errors import NotFoundError
from ..deps import ServiceDep, SettingsDep
from ..openapi import errors
from ..schemas import CouncilOut, DocumentOut, DocumentText, InitiativeOut, SpanOut

router = APIRouter(tags=["corpus"], responses=errors(404, 422, 503))
_SPAN = 2**31 - 1  # no report is longer; keeps offsets within what SQLite and clients hold
_SAFE_TYPES = {".pdf", ".txt", ".md", ".html", ".htm", ".docx"}


@router.get("/documents", response_model=list[DocumentOut])
def documents(service: ServiceDep) -> list[DocumentOut]:
    """Every report in the index, with how many initiatives it was split into."""
    counts = service.catalog.initiative_counts()
    return [DocumentOut.from_report(r, counts.get(r.source, 0)) for r in service.catalog.reports]


@router.get("/documents/{source}/text", response_model=DocumentText)
def document_text(
    source: str,
    service: ServiceDep,
    start: Annotated[int, Query(ge=0, le=_SPAN)] = 0,
    end: Annotated[int | None, Query(ge=0, le=_SPAN)] = None,
    context: Annotated[int, Query(ge=0, le=20_000)] = 1500,
) -> DocumentText:
    """A report's text from start-context to end+context, with the span to highlight; a
    span past the end of the report is cut at its end, and an end before start is start."""
    report = service.catalog.report(source)
    text = service.catalog.text(source)
    end = len(text) if end is None else min(max(end, start), len(text))
    start = min(start, end)
    lo, hi = max(0, start - context), min(len(text), end + context)
    pages = service.catalog.page_range(source, start, end)
    return DocumentText(source=source, title=report.title, start=lo, end=hi, text=text[lo:hi],
                        highlight_start=start, highlight_end=end, length=len(text),
                        pages=list(pages) if pages else None)  # fmt: skip


_FILE = {
    "description": "The file: PDF or DOCX as such, HTML, Markdown and text as plain text.",
    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in (
        "application/pdf", "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")},
}  # fmt: skip


@router.get("/documents/{source}/file", response_class=FileResponse, responses={200: _FILE})
def document_file(source: str, service: ServiceDep, settings: SettingsDep) -> FileResponse:
    """The original report file as indexed (a PDF opens at #page=N in a browser)."""
    report = service.catalog.report(source)  # only names the index knows: no paths
    path = settings.index_dir / "files" / report.source
    suffix = path.suffix.lower()
    if not path.is_file() or suffix not in _SAFE_TYPES:
        raise NotFoundError(f"the original file of {source!r} is not in the index")
    media = "text/plain; charset=utf-8" if suffix in {".html", ".htm", ".md", ".txt"} else None
    media = media or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
    return FileResponse(path, media_type=media, headers=headers, content_disposition_type="inline")


@router.get("/initiatives/{initiative_id}", response_model=InitiativeOut)
def initiative(initiative_id: str, service: ServiceDep) -> InitiativeOut:
    """One initiative whole, with every span of its report it was read from."""
    item = service.catalog.initiative(initiative_id)
    text = service.catalog.text(item.source)
    return InitiativeOut(
        id=item.id, source=item.source, title=item.title, councils=list(item.councils),
        section=item.section, contact=item.contact,
        spans=[SpanOut(start=s.start, end=s.end) for s in item.spans],
        pages=list(item.pages) if item.pages else None,
        text=[text[s.start : s.end] for s in item.spans],
    )  # fmt: skip


@router.get("/councils", response_model=list[CouncilOut])
def councils(service: ServiceDep) -> list[CouncilOut]:
    """Every council the initiatives name: the valid values of the council filter."""
    return [CouncilOut(council=c, initiatives=n) for c, n in service.catalog.councils().items()]


@router.get("/sections", response_model=list[str])
def sections(service: ServiceDep) -> list[str]:
    """Every section name: the section filter matches any part of one of these."""
    return service.catalog.sections()
