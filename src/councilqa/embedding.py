"""Embedding texts into normalised vectors: the `Embedder` seam and its implementations.

`SentenceTransformerEmbedder` builds the index. At build time the same model is exported to
ONNX (checked against it); the server then embeds queries with `OnnxEmbedder`, which needs
neither torch nor sentence-transformers and so starts in well under a second.

Cosine similarity is computed as an inner product, so every vector leaving an embedder
is L2-normalised here and nowhere else.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
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
        for name, value in (
            ("HF_HUB_OFFLINE", "1"),
            ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
            ("TRANSFORMERS_VERBOSITY", "error"),
            ("TOKENIZERS_PARALLELISM", "false"),
        ):
            os.environ.setdefault(name, value)
        from sentence_transformers import SentenceTransformer  # heavy: imported on use
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.model = SentenceTransformer(model_name, device=device)
        self.batch_size = batch_size
        dimension, max_length = self.model.get_embedding_dimension(), self.model.max_seq_length
        if dimension is None or max_length is None:
            raise ValueError(f"{model_name} does not declare its dimension and input length")
        self.dimension, self.max_seq_length = int(dimension), int(max_length)

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


def export_onnx(embedder: SentenceTransformerEmbedder, target: Path) -> bool:
    """Write the model as ONNX (transformer + mean pooling + L2 norm) with its tokenizer
    into `target`, so the server can embed queries without importing torch.

    Only done for models whose sentence-transformers pipeline is exactly that (BERT-style
    inputs, mean pooling, unit length), and only kept when its vectors match the original
    within 1e-4 on sample texts; returns whether it was written.
    """
    model = embedder.model
    modules = list(model)
    pooling = len(modules) > 1 and (
        getattr(modules[1], "pooling_mode", None) == "mean"
        or getattr(modules[1], "pooling_mode_mean_tokens", False)
    )
    transformer = getattr(modules[0], "auto_model", None) or getattr(modules[0], "model", None)
    if not pooling or transformer is None:
        return False
    if "token_type_ids" not in model.tokenizer.model_input_names:
        return False
    sample = ["Which councils run energy companies?", "é", "council " * 400]
    target.mkdir(parents=True, exist_ok=True)
    _write_graph(_mean_pooled(transformer), embedder, sample, target / "model.onnx")
    model.tokenizer.backend_tokenizer.save(str(target / "tokenizer.json"))
    config = {"max_seq_length": embedder.max_seq_length, "dimension": embedder.dimension}
    (target / "config.json").write_text(json.dumps(config) + "\n")
    same = np.abs(OnnxEmbedder(target).embed(sample) - embedder.embed(sample)).max() < 1e-4
    if not same:
        shutil.rmtree(target)
    return bool(same)


def _mean_pooled(transformer):  # -> torch.nn.Module (torch is imported only here)
    """The transformer followed by mean pooling over real tokens and L2 normalisation."""
    import torch

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    return Pipeline().eval()


def _write_graph(module, embedder: SentenceTransformerEmbedder, sample: list[str], path: Path):
    """Trace `module` on tokenized `sample` texts into an ONNX file with dynamic shapes."""
    import torch

    names = ["input_ids", "attention_mask", "token_type_ids"]
    enc = embedder.model.tokenizer(
        sample,
        padding=True,
        truncation=True,
        max_length=embedder.max_seq_length,
        return_tensors="pt",
    )
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shapes: checked after instead
        torch.onnx.export(
            module,
            tuple(enc[n] for n in names),
            str(path),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


class OnnxEmbedder:
    """The exported model run by onnxruntime: same vectors, no torch import at start-up."""

    def __init__(self, directory: Path, threads: int = 1) -> None:
        """Load the export in `directory`; `threads` intra-op threads (0: one per core).

        One thread by default: a query is a few milliseconds of small matrix products, and
        on 2 cores a second thread saves about a third of one query's time but costs more
        CPU than it saves, and its spinning competes with the request's own Python work and
        with other workers. Concurrent queries are batched instead (BatchingEmbedder)."""
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((directory / "config.json").read_text())
        self.max_seq_length = int(config["max_seq_length"])
        self.dimension = int(config["dimension"])
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` as L2-normalised float32 rows (cosine = inner product)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows = []
        for start in range(0, len(texts), 32):
            batch = self.tokenizer.encode_batch(list(texts[start : start + 32]))
            feed = {
                "input_ids": np.array([e.ids for e in batch], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in batch], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in batch], dtype=np.int64),
            }
            rows.append(self.session.run(None, feed)[0])
        return np.concatenate(rows).astype(np.float32)

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text` with special tokens (before truncation)."""
        return len(self.tokenizer.encode(text).ids) if len(text) < 20_000 else 10**9


@dataclass
class _Pending:
    """One caller's texts waiting in a BatchingEmbedder, and what came back for them."""

    texts: Sequence[str]
    ready: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to run the next batch rather than with a result
    vectors: np.ndarray | None = None
    error: BaseException | None = None


class BatchingEmbedder:
    """Embeds the queries of concurrent callers (threads) in one call of `inner`.

    No timer: a caller finding the embedder idle runs its own texts at once, so a lone
    query waits for nothing. Callers arriving while a call runs queue up, and when it ends
    the first of them runs everything queued (up to `max_texts`) as one batch. Under load a
    batch forms by itself while the previous one runs: on 2 cores one ONNX call of 8 short
    queries costs about 2-3 single ones, and 8 concurrent single calls would instead fight
    over the cores. Rows are the same vectors to a float32 rounding step (padding to the
    longest text in the batch is masked out of the model's attention and mean)."""

    def __init__(self, inner: Embedder, max_texts: int = 16) -> None:
        self.inner, self.max_texts = inner, max_texts
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._busy = False  # a caller is running a batch; callers queue meanwhile
        self.calls = 0  # batches run (a test and the bench read it)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts`, batched with whatever other callers are waiting."""
        mine = _Pending(texts)
        with self._lock:
            self._queue.append(mine)
            lead = not self._busy
            self._busy = True
        if not lead:
            mine.ready.wait()
        if mine.lead or lead:
            self._run_batch()
        if mine.error is not None:
            raise mine.error
        assert mine.vectors is not None
        return mine.vectors

    def _run_batch(self) -> None:
        """Embed the queued texts (the caller's own among them) and hand the rows out; then
        wake the next queued caller to lead, or mark the embedder idle."""
        with self._lock:
            batch: list[_Pending] = []
            size = 0
            while self._queue and (not batch or size + len(self._queue[0].texts) <= self.max_texts):
                size += len(self._queue[0].texts)
                batch.append(self._queue.pop(0))
        try:
            vectors = self.inner.embed([t for p in batch for t in p.texts])
            self.calls += 1
            start = 0
            for pending in batch:
                pending.vectors = vectors[start : start + len(pending.texts)]
                start += len(pending.texts)
        except BaseException as exc:  # every caller in the batch sees the failure
            for pending in batch:
                pending.error = exc
        finally:
            with self._lock:
                following = self._queue[0] if self._queue else None
                self._busy = following is not None
            if following is not None:
                following.lead = True
                following.ready.set()
            for pending in batch:
                pending.ready.set()


class LazyEmbedder:
    """A sentence-transformers model that loads only when something must be embedded.

    Counting word pieces (to fit chunks to the model) uses the model's own tokenizer.json
    and needs no torch, so a rebuild that reuses every vector (removing a report, a
    setting that changes nothing embedded) never loads the model."""

    def __init__(self, model_name: str, batch_size: int = 32) -> None:
        self.model_name, self.batch_size = model_name, batch_size
        self._model: SentenceTransformerEmbedder | None = None
        self._tokenizer, self.max_seq_length = _local_tokenizer(Path(model_name))

    @property
    def model(self) -> SentenceTransformerEmbedder:
        """The loaded model (loaded on first use)."""
        if self._model is None:
            self._model = SentenceTransformerEmbedder(self.model_name, self.batch_size)
            self.max_seq_length = self._model.max_seq_length
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` with the model (loading it if needed)."""
        return self.model.embed(texts)

    def count_tokens(self, text: str) -> int:
        """Word pieces with special tokens, by the model's tokenizer."""
        if self._tokenizer is None:
            return self.model.count_tokens(text)
        return len(self._tokenizer.encode(text).ids)


def _local_tokenizer(directory: Path):  # -> (Tokenizer | None, int | None)
    """The tokenizer and input limit of a model directory, when it has them as files."""
    try:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        config = json.loads((directory / "sentence_bert_config.json").read_text())
        return tokenizer, int(config["max_seq_length"])
    except (OSError, ValueError, KeyError, Exception):  # a hub name or another layout
        return None, None
