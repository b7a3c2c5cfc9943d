"""Answer cards: loading, choice by meaning, Did you mean + a digit, MORE, the report."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from bot.conversation import answers_report
from bot.conversation.inbound import get_pipeline
from bot.conversation.pipeline import Context
from bot.sms.segments import non_gsm_chars, segment_info
from bot.timeutil import When
from content import CONTENT_DIR, ContentError, load_content

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def pipeline(app):  # noqa: ANN001, ANN201
    with app.app_context():
        yield get_pipeline()


def _copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("  source: quick-answer-worse\n", "", "no source"),
        ("  topic: pseudoprogression\n", "  topic: astrology\n", "unknown topic"),
        ("  source: quick-answer-worse\n", "  source: blog\n", "unknown source"),
    ],
)
def test_a_bad_card_stops_loading_naming_file_and_card(tmp_path, old, new, says) -> None:
    content = _copy_content(tmp_path)
    path = content / "cards" / "quick-answer-worse.yaml"
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(ContentError, match=f"quick-answer-worse.yaml, card '.*': {says}"):
        load_content(content)


def test_every_card_answer_is_gsm7_two_segments_with_a_source_tag() -> None:
    from bot.content_check import SOURCE_TAG

    cards = load_content().cards.cards
    assert len(cards) >= 100
    for card in cards:
        for lang, answer in card.answer.items():
            assert not non_gsm_chars(answer), (card.id, lang)
            assert segment_info(answer).segments <= 2, (card.id, lang)
            assert SOURCE_TAG.search(answer), (card.id, lang)


def test_a_clear_question_gets_its_card_in_the_first_reply(pipeline) -> None:
    decision = pipeline.decide("what is pseudoprogression", Context())
    assert decision.cards and not decision.offered
    card = pipeline.cards.by_id[decision.cards[0]]
    assert card.topic == decision.topic == "pseudoprogression"
    assert decision.body == card.answer["en"]


def test_unsure_offers_three_cards_and_a_digit_picks_one(pipeline) -> None:
    first = pipeline.decide("the scan and the drug", Context())
    assert first.offered and len(first.cards) == 3
    assert first.body.startswith("Did you mean: 1 ") and first.body.endswith("Reply 1, 2 or 3")
    assert segment_info(first.body).segments <= 2
    picked = pipeline.decide("2", Context(choices=first.cards))
    assert picked.cards == (first.cards[1],) and not picked.offered
    assert picked.body == pipeline.cards.by_id[first.cards[1]].answer["en"]
    # Without choices on offer, a digit is not a card.
    assert not pipeline.decide("2", Context()).cards


def test_did_you_mean_in_spanish(pipeline) -> None:
    first = pipeline.decide("el escaner y la medicina", Context())
    assert first.offered and first.language == "es"
    assert first.body.startswith("¿Quiso decir: 1 ") and "Responda 1, 2 o 3" in first.body


def test_more_gives_the_next_card_of_the_topic(pipeline) -> None:
    cards = [c for c in pipeline.cards.cards if c.topic == "pseudoprogression"]
    more = pipeline.decide("MORE", Context(last_topic="pseudoprogression", last_card=cards[0].id))
    assert more.topic == "more" and more.cards == (cards[1].id,)
    last = pipeline.decide("MORE", Context(last_topic="pseudoprogression", last_card=cards[-1].id))
    assert last.topic == "more" and not last.cards
    assert last.body == pipeline.render("more_done", "en")


def test_a_red_flag_or_stop_wins_over_a_digit(pipeline) -> None:
    choices = tuple(c.id for c in pipeline.cards.cards[:3])
    assert pipeline.decide("STOP", Context(choices=choices)).topic == "stop"
    urgent = pipeline.decide("2 and I can't breathe", Context(choices=choices))
    assert urgent.topic == "urgent"


def test_choices_are_remembered_per_number_through_the_webhook(app, phone) -> None:
    offer = phone.text("the scan and the drug")
    assert offer.startswith("Did you mean: 1 ")
    with app.app_context():
        first = get_pipeline().decide("the scan and the drug", Context())
        card = get_pipeline().cards.by_id[first.cards[0]]
    assert phone.text("1") == card.answer["en"]
    # The digit answered the offer: another digit is no longer a pick.
    assert phone.text("1") != card.answer["en"]


def test_more_after_a_card_through_the_webhook(app, phone) -> None:
    answer = phone.text("what is pseudoprogression")  # a card's own phrasing
    with app.app_context():
        pipeline = get_pipeline()
        card = next(c for c in pipeline.cards.cards if c.answer["en"] == answer)
        following = pipeline.cards.next_after(card.id)
    assert following is not None
    assert phone.text("MORE") == following.answer["en"]


def test_the_answers_section_of_evaluation_md_is_fresh_and_meets_the_gate(pipeline) -> None:
    outcomes = answers_report.evaluate(pipeline)
    section = answers_report.render(outcomes, answers_report.reading_level(pipeline.cards.cards))
    document = (ROOT / "EVALUATION.md").read_text(encoding="utf-8")
    assert section in document, "stale: run flask answers evaluate --write EVALUATION.md"
    figures = answers_report.summary(outcomes)
    assert figures["questions"] >= 400
    assert figures["first_reply"] >= answers_report.MIN_FIRST_REPLY
    assert figures["wrong"] <= answers_report.MAX_WRONG


def test_replace_section_replaces_only_its_part_or_appends() -> None:
    b, e = answers_report.BEGIN, answers_report.END
    doc = f"# Report\n\nkept\n\n{b}\nold\n{e}\nafter\n"
    new = f"{b}\nnew\n{e}\n"
    assert answers_report.replace_section(doc, new) == f"# Report\n\nkept\n\n{new}after\n"
    assert answers_report.replace_section("# Only\n", new) == f"# Only\n\n{new}"


def test_content_check_fails_on_a_card_over_two_segments_or_not_gsm7(tmp_path) -> None:
    from bot.content_check import lint

    content = _copy_content(tmp_path)
    path = content / "cards" / "webmd-head-neck.yaml"
    text = path.read_text()
    text = text.replace(
        '    en: "Immunotherapy can slow', '    en: "' + "Very long. " * 30 + "Can slow", 1
    )
    text = text.replace(
        'es: "La inmunoterapia puede frenar', 'es: "La inmunoterapía puede frenar', 1
    )
    path.write_text(text)
    problems = lint(load_content(content))
    assert any("immunotherapy-what-hn' (en), answer" in p and "segments" in p for p in problems)
    assert any("immunotherapy-what-hn' (es), answer: not GSM-7" in p for p in problems)


def test_content_check_without_seeds_skips_coverage_with_a_note(runner, monkeypatch) -> None:
    monkeypatch.delenv("NEXTSTEPS_SEEDS_DIR", raising=False)
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "coverage skipped" in result.output and "140 answer cards" in result.output


def test_coverage_lists_paragraphs_and_fails_on_an_unreached_fact(tmp_path, runner) -> None:
    from tests.conftest import seeds_dir

    seeds = seeds_dir()
    result = runner.invoke(args=["content", "check", "--seeds", str(seeds)])
    assert result.exit_code == 0, result.output
    assert "quick-answer-worse paragraph 2: pseudoprogression-what-qa" in result.output
    assert "not a fact: webmd-head-neck:34.1 (copyright line)" in result.output
    content = _copy_content(tmp_path)
    path = content / "cards" / "quick-answer-worse.yaml"
    path.write_text(
        path.read_text().replace('"quick-answer-worse:14.1"', '"quick-answer-worse:2.1"')
    )
    args = ["content", "check", "--dir", str(content), "--seeds", str(seeds)]
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert "no card reaches fact sentence quick-answer-worse:14.1" in result.output


def test_a_keyword_overview_ends_with_example_questions_when_they_fit(pipeline) -> None:
    scans = pipeline.decide("SCANS", Context())
    labels = [c.label["en"] for c in pipeline.cards.first_of("scans", 3)]
    assert scans.body.endswith("Ask me, e.g.: " + "? ".join(labels) + "?")
    assert segment_info(scans.body).segments <= 2
    # No room within 2 segments: the overview alone, never a third segment.
    trials = pipeline.decide("TRIALS", Context())
    assert trials.body == pipeline.content.topics["trials"].body
    assert pipeline.decide("what progression means", Context()).cards  # a label is asked


def test_fast_scores_equal_scikit_learns_transform(pipeline) -> None:
    import numpy as np
    from scipy import sparse

    index = pipeline.cards
    matrix = index.dense.astype(np.float64)
    for text in ("my first scan looks worse, is it failing", "hola la inmuno", "", "!!"):
        parts = [v.transform([text]) * w for v, w in zip(index.blocks, index.weights, strict=True)]
        expected = np.asarray(sparse.hstack(parts) @ matrix).ravel() + index.bias
        assert np.allclose(index.scores(text), expected, atol=1e-5), text


def test_an_open_checkin_then_a_reminder_reply_read_a_digit_first(pipeline) -> None:
    from bot.checkins.conversation import OpenCheckin
    from bot.conversation.pipeline import AwaitingReply

    choices = tuple(c.id for c in pipeline.cards.cards[:3])
    waiting = OpenCheckin(id=1, step=0, reasked=False)
    ctx = Context(status="active", checkin=waiting, choices=choices)
    decision = pipeline.decide("2", ctx)
    assert decision.topic == "checkin" and not decision.cards
    when = When(datetime(2027, 9, 30, 14, 30), "America/New_York")
    reminder = AwaitingReply(reminder_id=1, scan_id=1, when=when)
    ctx = Context(status="active", reminder=reminder, choices=choices)
    assert pipeline.decide("C", ctx).topic == "scan_confirm"
    assert pipeline.decide("2", ctx).cards == (choices[1],)  # not a C or R: the digit picks


def test_warm_trains_the_classifier_and_fits_the_cards_before_any_text() -> None:
    from bot.conversation.pipeline import Pipeline
    from content import load_content

    fresh = Pipeline(load_content(), "NextSteps", "614-555-0100")
    assert "cards" not in vars(fresh) and fresh.classifier._model is None  # nothing yet
    fresh.warm()
    assert "cards" in vars(fresh) and fresh.classifier._model is not None
