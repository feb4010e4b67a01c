"""Embedders: unit vectors, the 256-piece limit, and the ONNX export matching the model."""

import numpy as np
import pytest

from councilqa.embedding import OnnxEmbedder


def test_vectors_are_unit_length(embedder):
    vectors = embedder.embed(["Lambeth", "", "é" * 10, "council " * 1000])
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_onnx_export_gives_the_same_vectors(settings, embedder, service, built_index):
    assert built_index["query_embedder"] == "onnx"
    onnx = OnnxEmbedder(settings.index_dir / "onnx")
    sample = list(service.catalog.chunks(service.catalog.chunk_ids()[:64]).values())
    texts = [c.text for c in sample] + [
        "Which councils run municipal energy companies?",
        "é",
        "word " * 600,
    ]
    assert np.abs(onnx.embed(texts) - embedder.embed(texts)).max() < 1e-4
    assert onnx.embed([]).shape == (0, 384)
    assert onnx.count_tokens(sample[0].text) == embedder.count_tokens(sample[0].text)


def test_query_embedder_uses_the_export(settings, built_index):
    from councilqa.service import query_embedder

    assert isinstance(query_embedder(settings.index_dir, settings.model_name), OnnxEmbedder)


def test_damaged_export_is_named(settings, built_index, tmp_path):
    import shutil

    from councilqa.errors import IndexLoadError
    from councilqa.service import query_embedder

    copy = tmp_path / "index"
    shutil.copytree(settings.index_dir, copy)
    (copy / "onnx" / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(IndexLoadError, match="onnx is corrupted"):
        query_embedder(copy, settings.model_name)
