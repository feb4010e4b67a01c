"""Qdrant backend: one collection holds each chunk's dense vector, its BM25 sparse vector and
the payload filters select on, so a deployment can move retrieval to a Qdrant server or
cluster (`url`) while tests run the same client code in local mode (on disk, no server).

BM25 is split between the two sides: documents store the term-frequency saturation
`tf*(k1+1)/(tf + k1*(1-b+b*dl/avgdl))`, queries send 1.0 per query token, and Qdrant's
`Modifier.IDF` multiplies in ln(1 + (N-df+0.5)/(df+0.5)) at query time (the Lucene idf;
local mode computes the same). Tokens come from `text.tokenize`, never Qdrant's tokenizer.

Local mode supports the IDF modifier and weighted RRF, ignores payload indexes (it scans),
and locks its directory: one process at a time may open a local-mode collection (a server
allows many). Deliberately left out: incremental updates (a rebuild recreates it all).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import uuid
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from ..errors import IndexLoadError
from ..models import Filters
from ..text import TOKENIZER_VERSION, tokenize
from . import Backend, ChunkRecord

K1, B = 1.5, 0.75
DENSE, SPARSE = "dense", "bm25"
KEYWORD_FIELDS = ("councils", "source", "section")
BATCH = 256
# Point ids must be ints or UUIDs; uuid5 of the chunk id is deterministic, so a rebuild
# gives every chunk the same point id.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "councilqa/chunk")


def point_id(chunk_id: str) -> str:
    """The Qdrant point id of a chunk: a UUID derived from its chunk id."""
    return str(uuid.uuid5(_ID_NAMESPACE, chunk_id))


def term_index(token: str) -> int:
    """The sparse dimension of a token: the first 4 bytes of its blake2b hash.

    Hashing needs no vocabulary file beside the index, and query terms never seen in the
    corpus simply match nothing. With V distinct tokens about V²/2³³ pairs collide (~0.3
    for V = 50k, ~0.01 for 10k): a colliding pair shares one df and one tf, which shifts a
    few scores of rare terms slightly; that is within what BM25 variants disagree by.
    """
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest(), "little")


def _sparse(counts: Counter[int], weight: Any = float) -> models.SparseVector:
    indices = sorted(counts)
    return models.SparseVector(indices=indices, values=[weight(counts[i]) for i in indices])


def document_vector(tokens: Sequence[str], avgdl: float) -> models.SparseVector:
    """The BM25 document side of a chunk: saturated term frequency per hashed token."""
    norm = K1 * (1 - B + B * len(tokens) / avgdl)
    return _sparse(Counter(map(term_index, tokens)), lambda tf: tf * (K1 + 1) / (tf + norm))


def query_sparse(tokens: Sequence[str]) -> models.SparseVector:
    """The BM25 query side: 1.0 per query token (a repeated token counts each time, as in
    rank-bm25); Qdrant multiplies in the idf."""
    return _sparse(Counter(map(term_index, tokens)))


def to_filter(filters: Filters) -> models.Filter | None:
    """Filters as a Qdrant filter: any value within a field, every listed field; None = all."""
    wanted = zip(KEYWORD_FIELDS, (filters.councils, filters.sources, filters.sections), strict=True)
    must: list[models.Condition] = [
        models.FieldCondition(key=key, match=models.MatchAny(any=list(values)))
        for key, values in wanted
        if values
    ]
    return models.Filter(must=must) if must else None


def connect(directory: Path, url: str | None = None) -> QdrantClient:
    """A client of the server at `url`, or of local mode at `directory / "qdrant"`."""
    if url:
        return QdrantClient(url=url)
    return QdrantClient(path=str(directory / "qdrant"))


def build(
    directory: Path,
    records: Sequence[ChunkRecord],
    vectors: np.ndarray,
    url: str | None = None,
    collection: str = "councilqa",
) -> dict:
    """(Re)create the collection from chunk records and their dense vectors; returns the
    facts the index manifest records."""
    if len(records) != len(vectors):
        raise ValueError(f"{len(records)} records but {len(vectors)} vectors")
    tokens = [tokenize(r.text) for r in records]
    avgdl = max(sum(map(len, tokens)) / max(len(tokens), 1), 1.0)
    client = connect(directory, url)
    try:
        _create(client, collection, vectors.shape[1], avgdl)
        points = (_point(*row, avgdl) for row in zip(records, tokens, vectors, strict=True))
        while batch := list(islice(points, BATCH)):
            client.upsert(collection, points=batch, wait=True)
        _index_payload(client, collection, local=not url)
        count = client.count(collection, exact=True).count
    finally:
        client.close()  # releases local mode's lock, so open_backend works in this process
    return {
        "collection": collection,
        "url": url or "local",
        "points": count,
        "dimension": int(vectors.shape[1]),
        "bm25": {"k1": K1, "b": B, "avgdl": avgdl, "terms": "blake2b-32"},
        "tokenizer": TOKENIZER_VERSION,
        "qdrant_client": importlib.metadata.version("qdrant-client"),
    }


def _create(client: QdrantClient, collection: str, dimension: int, avgdl: float) -> None:
    if client.collection_exists(collection):
        client.delete_collection(collection)
    client.create_collection(
        collection,
        # Cosine: Qdrant normalises vectors on the way in, so this is the inner product of
        # normalised vectors, and still right should an embedder not normalise.
        vectors_config={
            DENSE: models.VectorParams(size=dimension, distance=models.Distance.COSINE)
        },
        sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        # Recorded in the collection too, so a shared server collection describes itself.
        metadata={"tokenizer": TOKENIZER_VERSION, "k1": K1, "b": B, "avgdl": avgdl},
    )


def _point(
    record: ChunkRecord, tokens: list[str], vector: np.ndarray, avgdl: float
) -> models.PointStruct:
    named: dict[str, Any] = {DENSE: _floats(vector)}
    if tokens:  # a chunk without tokens has no sparse vector, as it can match no query
        named[SPARSE] = document_vector(tokens, avgdl)
    payload = {
        "chunk_id": record.id,
        "initiative_id": record.initiative_id,
        "councils": list(record.councils),
        "source": record.source,
        "section": record.section,
    }
    return models.PointStruct(id=point_id(record.id), vector=named, payload=payload)


def _index_payload(client: QdrantClient, collection: str, local: bool) -> None:
    with warnings.catch_warnings():
        if local:  # local mode warns that it ignores them; a server uses them to filter
            warnings.filterwarnings("ignore", message="Payload indexes have no effect")
        for field in KEYWORD_FIELDS:
            client.create_payload_index(collection, field, models.PayloadSchemaType.KEYWORD)


@dataclass(frozen=True)
class QdrantStore:
    """An open collection: the searches the retrievers and `hybrid` share."""

    client: QdrantClient
    collection: str

    def query(self, **request: Any) -> list[tuple[str, float]]:
        """Run one query_points request; (chunk_id, score) pairs, best first."""
        response = self.client.query_points(self.collection, with_payload=["chunk_id"], **request)
        return [(str(p.payload["chunk_id"]), float(p.score)) for p in response.points if p.payload]


@dataclass(frozen=True)
class LexicalRetriever:
    """BM25 over the sparse vectors, filtered inside the search."""

    store: QdrantStore

    def search(
        self, query: str, query_vector: np.ndarray | None, filters: Filters, k: int
    ) -> list[tuple[str, float]]:
        """Up to k (chunk_id, BM25 score) pairs, best first; [] for a query without tokens."""
        tokens = tokenize(query)
        if not tokens or k < 1:
            return []
        return self.store.query(
            query=query_sparse(tokens), using=SPARSE, query_filter=to_filter(filters), limit=k
        )


@dataclass(frozen=True)
class DenseRetriever:
    """Nearest dense vectors (cosine), filtered inside the search."""

    store: QdrantStore

    def search(
        self, query: str, query_vector: np.ndarray | None, filters: Filters, k: int
    ) -> list[tuple[str, float]]:
        """Up to k (chunk_id, cosine) pairs, best first; [] without a query vector."""
        if query_vector is None or k < 1:
            return []
        return self.store.query(
            query=_floats(query_vector), using=DENSE, query_filter=to_filter(filters), limit=k
        )


@dataclass(frozen=True)
class QdrantBackend(Backend):
    """A Backend that can also fuse both retrievers inside Qdrant in one request."""

    store: QdrantStore

    def hybrid(
        self,
        query: str,
        query_vector: np.ndarray | None,
        filters: Filters,
        k: int,
        rrf_k: int = 10,
        dense_weight: float = 1.5,
        candidates: int = 100,
    ) -> list[tuple[str, float]]:
        """Top k by weighted RRF of BM25 and dense, fused by Qdrant in one query_points call.

        Qdrant scores rank r (1-based) of a source with weight w as 1/(r/w + k - 1), so
        passing k = rrf_k + 1 equals `fusion.rrf(..., k=rrf_k)` exactly when the weights are
        equal; with unequal weights Qdrant scales the constant by w too (w/(r + w*rrf_k)
        against w/(r + rrf_k)), which favours the heavier source a little more at the top.
        """
        condition = to_filter(filters)
        prefetch, weights = [], []
        tokens = tokenize(query)
        if tokens:
            prefetch.append(_prefetch(query_sparse(tokens), SPARSE, condition, candidates))
            weights.append(1.0)
        if query_vector is not None:
            prefetch.append(_prefetch(_floats(query_vector), DENSE, condition, candidates))
            weights.append(dense_weight)
        if not prefetch or k < 1:
            return []
        fused = models.RrfQuery(rrf=models.Rrf(k=rrf_k + 1, weights=weights))
        return self.store.query(prefetch=prefetch, query=fused, limit=k)

    def close(self) -> None:
        """Close the client (and release local mode's directory lock)."""
        self.store.client.close()


def _floats(vector: np.ndarray) -> list[float]:
    return np.asarray(vector, dtype=np.float32).tolist()


def _prefetch(
    query: Any, using: str, condition: models.Filter | None, limit: int
) -> models.Prefetch:
    return models.Prefetch(query=query, using=using, filter=condition, limit=limit)


def open_backend(
    directory: Path, url: str | None = None, collection: str = "councilqa"
) -> QdrantBackend:
    """Open a built collection as lexical and dense retrievers (plus `hybrid`); raises
    IndexLoadError if it is missing, locked by another process or built by another tokenizer."""
    where = url or directory / "qdrant"
    try:
        client = connect(directory, url)
    except RuntimeError as exc:  # local mode: another process holds the directory lock
        raise IndexLoadError(f"cannot open Qdrant at {where}: {exc}") from exc
    try:
        _check(client, collection, where)
    except IndexLoadError:
        client.close()
        raise
    store = QdrantStore(client, collection)
    return QdrantBackend(lexical=LexicalRetriever(store), dense=DenseRetriever(store), store=store)


def _check(client: QdrantClient, collection: str, where: object) -> None:
    if not client.collection_exists(collection):
        raise IndexLoadError(f"no Qdrant collection {collection!r} at {where}: build the index")
    built = (client.get_collection(collection).config.metadata or {}).get("tokenizer")
    if built != TOKENIZER_VERSION:
        raise IndexLoadError(
            f"Qdrant collection {collection!r} was built with tokenizer {built!r}, "
            f"not {TOKENIZER_VERSION!r}: rebuild the index"
        )
