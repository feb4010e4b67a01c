"""Errors a user can see. The API and the CLI each map these to a message in one place."""


class CouncilQAError(Exception):
    """Base class for every error councilqa reports to a user."""


class ConfigError(CouncilQAError):
    """A setting names something that does not exist (a backend, a model)."""


class CorpusError(CouncilQAError):
    """A report in corpus/ or its manifest is missing, unreadable or inconsistent."""


class IndexLoadError(CouncilQAError):
    """The index on disk is missing, corrupted or was built for other settings."""


class QueryError(CouncilQAError):
    """A query, filter or parameter is invalid."""


class NotFoundError(CouncilQAError):
    """An initiative or report id does not exist."""


class LLMError(CouncilQAError):
    """The configured LLM could not be reached or gave an unusable reply."""


class SourceError(CorpusError):
    """A report file cannot be read as its type says (encrypted, empty, corrupt, no text)."""
