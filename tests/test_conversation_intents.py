"""What patients get for the intents the issue names: thanks and silence, prognosis,
immunotherapy, the closest topics, MORE in plain words, Spanish service words, and both
safety detectors (rules and classifier), each on its own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.conversation import pipeline as pl
from bot.conversation.pipeline import Context, Pipeline
from bot.conversation.understanding.model import Prediction
from bot.extensions import db
from bot.models import Message, Patient
from content import load_content
from tests.conftest import Phone

ACTIVE = Context(status="active")


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(load_content(), "NextSteps", "614-555-0100")


def _inbound_flags(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(Message.topic, Message.flag)
            .where(Message.direction == "inbound")
            .order_by(Message.id)
        )
        return [tuple(r) for r in rows]


# --- replies patients notice ---------------------------------------------------------


def test_thanks_gets_a_short_warm_reply_never_the_menu(phone: Phone) -> None:
    reply = phone.text("thank you so much")
    assert reply.startswith("You're welcome") and "TRIALS" not in reply


@pytest.mark.parametrize("ack", ["ok", "👍", "k"])
def test_a_bare_ok_right_after_a_reply_gets_silence(app, phone: Phone, ack: str) -> None:
    assert phone.text("TRIALS")
    assert phone.text(ack) is None
    assert _inbound_flags(app)[-1] == ("thanks", None)


def test_ok_out_of_the_blue_is_acknowledged(phone: Phone) -> None:
    assert phone.text("ok").startswith("You're welcome")


def test_question_marks_after_a_reply_are_not_taken_for_ok(phone: Phone) -> None:
    phone.text("TRIALS")
    assert phone.text("???")


@pytest.mark.parametrize(
    "text", ["how long do I have to live", "am I dying?", "cuanto tiempo me queda"]
)
def test_prognosis_gets_a_gentle_reply_and_a_staff_flag(app, phone: Phone, text: str) -> None:
    reply = phone.text(text)
    assert ("care team" in reply or "equipo" in reply) and "%" not in reply
    assert _inbound_flags(app) == [("prognosis", "prognosis")]


@pytest.mark.parametrize("text", ["what is immunotherapy", "how does immunotherapy work?"])
def test_immunotherapy_has_an_answer_with_its_source(app, phone: Phone, text: str) -> None:
    pipeline = app.extensions["nextsteps.pipeline"]
    topic = pipeline.content.topics["immunotherapy"]
    cards = [c.answer["en"] for c in pipeline.cards.cards if c.topic == "immunotherapy"]
    reply = phone.text(text)
    assert reply.startswith(topic.body) or reply in cards  # the overview, or the card asked
    assert "(Source:" in (reply if reply in cards else phone.text("MORE"))


@pytest.mark.parametrize(
    "text,language",
    [("tell me more", "en"), ("more please", "en"), ("MAS", "es"), ("cuentame mas", "es")],
)
def test_more_in_plain_words_continues_the_last_topic(
    app, phone: Phone, text: str, language: str
) -> None:
    content = app.extensions["nextsteps.pipeline"].content.in_language(language)
    phone.text("HOSPICE")
    assert phone.text(text) == content.topics["hospice"].more


def test_an_unclear_text_offers_three_close_topics(pipeline: Pipeline) -> None:
    decision = pipeline.decide("asdfgh", ACTIVE)
    assert decision.topic == "unknown"
    assert decision.body.count(",") >= 1 and " or " in decision.body and "MENU" in decision.body


@pytest.mark.parametrize("text", ["when's my next scan", "when do they look at my lungs again"])
def test_next_scan_asked_indirectly(pipeline: Pipeline, text: str) -> None:
    assert pipeline.decide(text, ACTIVE).topic == "next_scan"


# --- Spanish service words and emergencies -------------------------------------------


@pytest.mark.parametrize("text", ["ALTO", "PARAR", "Cancelar", "BAJA", "no mas mensajes"])
def test_spanish_opt_outs_stop(app, phone: Phone, text: str) -> None:
    confirmation = app.extensions["nextsteps.pipeline"].render("stop", "es")
    assert phone.text(text) == confirmation
    with app.app_context():
        assert db.session.scalars(select(Patient.status)).one() == "stopped"


def test_spanish_help_yes_and_start(app, phone: Phone) -> None:
    say = app.extensions["nextsteps.pipeline"].render
    assert phone.text("AYUDA") == say("help", "es")
    with app.app_context():
        db.session.add(Patient(phone=phone.number, status="pending"))
        db.session.commit()
    assert phone.text("SI") == say("yes", "es")
    phone.text("ALTO")
    assert phone.text("INICIO") == say("start", "es")
    with app.app_context():
        assert db.session.scalars(select(Patient.status)).one() == "active"


@pytest.mark.parametrize(
    "text",
    ["me falta el aire", "tengo los ojos amarillos", "fiebre de 38.6", "ya no quiero vivir"],
)
def test_spanish_emergencies_are_caught(pipeline: Pipeline, text: str) -> None:
    assert pipeline.decide(text, ACTIVE).topic == "urgent"


@pytest.mark.parametrize(
    "text,not_topic",
    [
        ("how do I stop the diarrhea", "stop"),
        ("I'm dying to know", "urgent"),
        ("no chest pain today", "urgent"),
        ("please don't stop sending these", "stop"),
        ("como paro la diarrea", "stop"),
    ],
)
def test_hard_negatives(pipeline: Pipeline, text: str, not_topic: str) -> None:
    assert pipeline.decide(text, ACTIVE).topic != not_topic


# --- each detector on its own ---------------------------------------------------------


class _Fixed:
    """A classifier that always says the same thing: each detector is tested alone."""

    def __init__(self, label: str, score: float, urgent: float = -1.0) -> None:
        ranking = {label: score, "urgent": max(urgent, score if label == "urgent" else urgent)}
        ranking.update({t: -1.5 for t in ("trials", "hospice", "scans") if t != label})
        self.prediction = Prediction(
            label, score, tuple(sorted(ranking.items(), key=lambda kv: -kv[1])), ("word",)
        )

    def predict(self, text: str) -> Prediction:
        return self.prediction


def _with(label: str, score: float, urgent: float = -1.0) -> Pipeline:
    return Pipeline(
        load_content(), "NextSteps", "614-555-0100", classifier=_Fixed(label, score, urgent)
    )


def test_the_classifier_alone_raises_an_alarm_naming_911_and_988() -> None:
    decision = _with("urgent", 0.4).decide("something the rules do not know", ACTIVE)
    assert decision.topic == "urgent" and decision.flag == pl.FLAG_URGENT
    assert "911" in decision.body and "988" in decision.body
    assert decision.why.detector == "classifier"


def test_a_near_miss_for_urgent_still_alarms() -> None:
    decision = _with("coping", 0.1, urgent=pl.URGENT_MIN + 0.01).decide("hmm", ACTIVE)
    assert decision.topic == "urgent"


def test_the_rules_alone_raise_an_alarm() -> None:
    decision = _with("trials", 0.9).decide("I can't breathe", ACTIVE)
    assert decision.topic == "urgent" and decision.why.detector == "red-flag rule"


def test_the_classifier_alone_opts_out_when_sure() -> None:
    decision = _with("stop", 0.5).decide("enough of this", ACTIVE)
    assert decision.topic == "stop" and decision.consent == "opt_out"
    unsure = _with("stop", -0.1).decide("enough of this", ACTIVE)
    assert unsure.consent is None


def test_an_opt_out_that_is_also_an_emergency_gets_the_emergency_reply() -> None:
    decision = _with("trials", 0.5).decide("stop texting me, I can't breathe", ACTIVE)
    assert decision.consent == "opt_out" and decision.topic == "urgent" and "911" in decision.body


def test_an_opt_out_reporting_a_death_is_kind_and_final() -> None:
    decision = _with("trials", 0.5).decide("my husband passed away, stop texting", ACTIVE)
    assert decision.consent == "opt_out" and decision.topic == "bereavement"
    assert "sorry" in decision.body and "no more texts" in decision.body


def test_a_death_read_by_the_classifier_is_flagged() -> None:
    decision = _with("bereavement", 0.3).decide("she is gone", ACTIVE)
    assert decision.topic == "bereavement" and decision.flag == pl.FLAG_BEREAVEMENT


def test_the_classifier_alarm_outranks_a_death_the_rules_saw() -> None:
    text = "my uncle passed away and my aunt says she wants to join him"
    decision = _with("urgent", 0.2).decide(text, ACTIVE)
    assert decision.topic == "urgent"


def test_a_stopped_number_gets_silence_even_for_a_classifier_alarm() -> None:
    decision = _with("urgent", 0.4).decide("hmm", Context(status="stopped"))
    assert decision.body is None and decision.flag == pl.FLAG_URGENT


def test_classifier_yes_confirms_a_pending_enrollment() -> None:
    decision = _with("yes", 0.2).decide("go for it", Context(status="pending"))
    assert decision.consent == "opt_in" and decision.why.detector == "classifier"


def test_an_unsure_classifier_offers_cards_then_the_overview_then_choices() -> None:
    shy = _with("trials", pl.ANSWER_MIN - 0.1)
    assert shy.decide("clinical trial", ACTIVE).why.detector == "card choices"
    # No card is close: a sure topic gets its overview, an unsure one the closest topics.
    sure = _with("trials", 0.5)
    assert sure.decide("zzz", ACTIVE).topic == "trials"
    assert shy.decide("zzz", ACTIVE).topic == "unknown"


def test_explain_says_which_detector_and_words(runner) -> None:
    import json

    out = runner.invoke(args=["reply", "--json", "--explain", "I can't breathe"]).output
    why = json.loads(out)["why"]
    assert why["detector"] == "red-flag rule" and why["words"]
    plain = runner.invoke(args=["reply", "--explain", "clinical trials near me"]).output
    assert "why: card choices: trials-" in plain  # the closest cards, by id
