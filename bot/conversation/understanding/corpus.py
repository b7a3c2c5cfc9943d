"""The labelled corpus: realistic inbound texts and the label each must reach.

The files live in `content/corpus/` (data, shipped with the package) as `text<TAB>label`,
`#` lines are comments. `heldout.tsv` is the fixed held-out part: it was written apart from
the rules and the training files, and training never reads it. How the corpus was written
and how to add to it: `content/corpus/README.md`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from content import CONTENT_DIR

CORPUS_DIR = CONTENT_DIR / "corpus"
HELDOUT_FILE = "heldout.tsv"

# Every label the classifier can give; topic ids of content/topics plus the service intents.
SERVICE_LABELS = (
    "urgent",
    "stop",
    "start",
    "yes",
    "help",
    "more",
    "next_scan",
    "thanks",
    "bereavement",
    "prognosis",
    "unknown",
)


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str  # "file:line", so a miss can be found and moved


def read_tsv(path: Path) -> list[Example]:
    """The examples of one corpus file; a malformed line raises ValueError naming it."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        text, sep, label = line.rpartition("\t")
        if not sep or not text.strip() or not label.strip():
            raise ValueError(f"{path.name}:{number}: expected text<TAB>label")
        examples.append(Example(text, label.strip(), f"{path.name}:{number}"))
    return examples


def training_files(directory: Path = CORPUS_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.tsv") if p.name != HELDOUT_FILE)


def training_examples(directory: Path = CORPUS_DIR) -> list[Example]:
    return [ex for path in training_files(directory) for ex in read_tsv(path)]


def heldout_examples(directory: Path = CORPUS_DIR) -> list[Example]:
    return read_tsv(directory / HELDOUT_FILE)


def fingerprint(directory: Path = CORPUS_DIR) -> str:
    """A hash of the training files: the model is rebuilt whenever they change."""
    digest = hashlib.sha256()
    for path in training_files(directory):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def rule_tiers(directory: Path = CORPUS_DIR) -> tuple[frozenset[str], frozenset[str]]:
    """Urgent symptom texts the red-flag rules read: (signs of 911, calls now). It teaches
    the classifier the rules' tiers, so its own alarms can tell the two apart."""
    from bot.conversation import safety
    from bot.patients.status import Tier

    sign, call = set(), set()
    for ex in training_examples(directory):
        flag = safety.red_flag(ex.text) if ex.label == "urgent" else None
        if flag and flag.family == safety.URGENT:
            (sign if flag.tier == Tier.EMERGENCY else call).add(ex.text)
    return frozenset(sign), frozenset(call)


def self_harm_texts(directory: Path = CORPUS_DIR) -> frozenset[str]:
    """Urgent training texts about self-harm: those under a `# --- urgent: self-harm`
    heading, and any urgent text the self-harm rules find (the seed mixes both kinds)."""
    from bot.conversation import safety  # the rules read the corpus only here

    found = set()
    for path in training_files(directory):
        section = ""
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# ---"):
                section = line
            elif line.strip() and not line.startswith("#") and line.endswith("\turgent"):
                text = line.rpartition("\t")[0]
                rule = safety.red_flag(text)
                if "self-harm" in section or (rule and rule.family == safety.SELF_HARM):
                    found.add(text)
    return frozenset(found)
