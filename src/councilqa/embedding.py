"""Embedding texts into normalised vectors: the `Embedder` seam and its one implementation.

Cosine similarity is computed as an inner product, so every vector leaving an embedder
is L2-normalised here and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """Anything that turns texts into an (n, dimension) float32 array of unit vectors."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts`; row i is the unit vector of texts[i]."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a name or a local path, on the CPU."""

    def __init__(self, model_name: str, batch_size: int = 32, device: str = "cpu") -> None:
        # Offline, and quiet: no hub look-ups, no progress bars on a user's terminal.
        for name, value in (("HF_HUB_OFFLINE", "1"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
                            ("TRANSFORMERS_VERBOSITY", "error"), ("TOKENIZERS_PARALLELISM", "false")):
            os.environ.setdefault(name, value)
        from sentence_transformers import SentenceTransformer  # heavy: imported on use
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.model = SentenceTransformer(model_name, device=device)
        self.batch_size = batch_size
        self.dimension = int(self.model.get_embedding_dimension())
        self.max_seq_length = int(self.model.max_seq_length)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` as L2-normalised float32 rows (cosine = inner product)."""
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)

    def count_tokens(self, text: str) -> int:
        """Word pieces the model's own tokenizer makes of `text`, with its special tokens."""
        return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"])
