"""The words: GSM-7, two segments at most, sources named, our own words, all reachable."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.content_check import lint
from content import CONTENT_DIR, ContentError, load_content
from tests.conftest import seeds_dir


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_content_check_passes(runner) -> None:
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "content OK" in result.output


def test_a_curly_quote_fails_the_check_naming_file_and_topic(runner, content_copy: Path) -> None:
    path = content_copy / "topics" / "hospice.yaml"
    path.write_text(path.read_text().replace("Hospice is", "Hospice\u2019s care is", 1))
    result = runner.invoke(args=["content", "check", "--dir", str(content_copy)])
    assert result.exit_code != 0
    assert "hospice.yaml" in result.output and "'hospice'" in result.output
    assert "U+2019" in result.output


def test_an_overlong_answer_fails_the_check(content_copy: Path) -> None:
    path = content_copy / "topics" / "trials.yaml"
    text = path.read_text().replace(
        "more:\n  en: >-\n", "more:\n  en: >-\n    " + "word " * 70 + "\n"
    )
    path.write_text(text)
    problems = lint(load_content(content_copy))
    assert any("trials.yaml" in p and "segments" in p for p in problems)


def test_a_keyword_shadowed_by_stop_fails_the_check(content_copy: Path) -> None:
    path = content_copy / "topics" / "coping.yaml"
    path.write_text(path.read_text().replace("  en: [", "  en: [QUIT, ", 1))
    problems = lint(load_content(content_copy))
    assert any("'quit'" in p and "STOP" in p for p in problems)


def test_a_bare_no_in_an_answer_list_is_refused(content_copy: Path) -> None:
    """YAML reads an unquoted no as False: "no" would silently stop being understood."""
    path = content_copy / "checkins.yaml"
    path.write_text(path.read_text().replace('[none, "no",', "[none, no,", 1))
    with pytest.raises(ContentError, match="quote"):
        load_content(content_copy)


def test_a_missing_topic_file_stops_loading(content_copy: Path) -> None:
    (content_copy / "topics" / "works.yaml").unlink()
    with pytest.raises(ContentError, match="works"):
        load_content(content_copy)


def test_an_unknown_source_stops_loading(content_copy: Path) -> None:
    path = content_copy / "topics" / "scans.yaml"
    path.write_text(re.sub(r"sources: \[.*\]", "sources: [made-up]", path.read_text()))
    with pytest.raises(ContentError, match=r"scans\.yaml.*made-up"):
        load_content(content_copy)


def test_every_topic_names_its_sources_and_tags_its_answer() -> None:
    for topic in load_content().topics.values():
        assert topic.sources, topic.id
        assert "Source" in topic.more, topic.id


def test_every_cited_source_is_a_seed_article_that_exists() -> None:
    seeds = seeds_dir()
    content = load_content()
    cited = {sid for topic in content.topics.values() for sid in topic.sources}
    missing = {sid for sid in cited if not (seeds / content.sources[sid].seed).is_file()}
    assert cited and missing == set()


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'"))
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_answers_are_in_our_own_words() -> None:
    """No run of 7 words copied from a seed article."""
    seeds = set()
    for path in seeds_dir().glob("*.txt"):
        seeds |= _shingles(path.read_text(encoding="utf-8"), 7)
    content = load_content()
    texts = {f"{t.id}.body": t.body for t in content.topics.values()}
    texts |= {f"{t.id}.more": t.more for t in content.topics.values()}
    texts |= {f"question {q.text}": q.text for q in content.questions}
    texts |= {f"card {c.id}": c.answer["en"] for c in content.cards.cards}
    copied = {name: _shingles(text, 7) & seeds for name, text in texts.items()}
    assert {k: v for k, v in copied.items() if v} == {}


def test_an_answer_without_its_source_tag_fails_the_check(content_copy: Path) -> None:
    path = content_copy / "topics" / "hospice.yaml"
    path.write_text(re.sub(r"\(Sources?: [^)]*\)", "", path.read_text()))
    problems = lint(load_content(content_copy))
    assert any("hospice.yaml" in p and "(Source:" in p for p in problems)


def test_a_text_missing_in_spanish_stops_loading_naming_it(content_copy: Path) -> None:
    path = content_copy / "topics" / "hospice.yaml"
    text = path.read_text()
    start = text.index("  es: >-", text.index("body:"))
    end = text.index("more:")
    path.write_text(text[:start] + text[end:])
    with pytest.raises(ContentError, match=r"hospice\.yaml.*body: 'es'"):
        load_content(content_copy)


def test_an_accented_vowel_in_spanish_fails_the_check(content_copy: Path) -> None:
    path = content_copy / "topics" / "trials.yaml"
    path.write_text(path.read_text().replace("clinico", "cl\u00ednico", 1))
    problems = lint(load_content(content_copy))
    assert any("trials.yaml" in p and "(es)" in p and "GSM-7" in p for p in problems)


def test_every_topic_and_reply_exists_in_both_languages() -> None:
    english = load_content()
    spanish = english.in_language("es")
    assert spanish.language == "es" and spanish.in_language("en") is english
    for topic_id, topic in english.topics.items():
        assert spanish.topics[topic_id].body != topic.body
        assert "(Fuente" in spanish.topics[topic_id].more
    assert set(spanish.replies) == set(english.replies)
    assert "988" in spanish.replies["urgent_self_harm"]
