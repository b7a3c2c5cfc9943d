"""The words NextSteps says, as data, and their loader. Uses nothing else of ours."""

from content.loader import (
    CONTENT_DIR,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Content,
    ContentError,
    Topic,
    load_content,
)

__all__ = [
    "CONTENT_DIR",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Content",
    "ContentError",
    "Topic",
    "load_content",
]
