"""YAML in, safely and fast: libyaml's safe loader when PyYAML was built with it (about ten
times faster on the card files, which hold thousands of phrasings), else PyYAML's own.
Both build only plain data (no Python objects)."""

from __future__ import annotations

from typing import IO

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(stream: str | IO[str]) -> object:
    """`yaml.safe_load`, with the C loader when there is one."""
    return yaml.load(stream, Loader=_LOADER)  # noqa: S506 - a safe loader either way
