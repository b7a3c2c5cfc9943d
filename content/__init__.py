"""The words NextSteps says, as data, and their loader. Uses nothing else of ours."""

from content.loader import Content, ContentError, Topic, default_content, load_content

__all__ = ["Content", "ContentError", "Topic", "default_content", "load_content"]
