"""What patients get for the intents the issue names: thanks and silence, prognosis,
immunotherapy, the closest topics, MORE in plain words, Spanish service words, and both
safety detectors (rules and classifier), each on its own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.conversation import pipeline as pl
from bot.conversation.pipeline import Context, Pipeline
from bot.conversation.understanding import model, triage
from bot.conversation.understanding.model import Prediction
from bot.extensions import db
from bot.models import Message, Patient
from bot.patients.status import Flag, Tier
from bot.sms.segments import segment_info
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


@pytest.mark.parametrize(("language", "more"), [("en", "MORE"), ("es", "MAS")])
def test_more_after_a_prognosis_question_offers_the_care_team_not_the_topic_before(
    pipeline: Pipeline, phone: Phone, language: str, more: str
) -> None:
    """It continued into hospice (the last topic) after "how long do I have"."""
    hospice = pipeline.content.in_language(language).topics["hospice"]
    phone.text("HOSPICIO" if language == "es" else "HOSPICE")
    phone.text("cuanto tiempo me queda" if language == "es" else "how long do I have to live")
    reply = phone.text(more)
    assert reply != hospice.more
    assert reply == pipeline.render("more_prognosis", language)
    assert "614-555-0100" in reply


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

    def __init__(
        self,
        label: str,
        score: float,
        p_urgent: float | None = None,
        p_self_harm: float = 0.0,
        p_911: float = 0.0,
    ) -> None:
        ranking = {label: score, "urgent": score if label == "urgent" else -1.0}
        ranking.update({t: -1.5 for t in ("trials", "hospice", "scans") if t != label})
        p = (0.99 if label == "urgent" else 0.0) if p_urgent is None else p_urgent
        self.prediction = Prediction(
            label,
            score,
            tuple(sorted(ranking.items(), key=lambda kv: -kv[1])),
            ("word",),
            p_urgent=p,
            p_self_harm=p_self_harm,
            p_911=p_911,
        )

    def predict(self, text: str) -> Prediction:
        return self.prediction


def _with(label: str, score: float, **p: float) -> Pipeline:
    return Pipeline(
        load_content(), "NextSteps", "614-555-0100", classifier=_Fixed(label, score, **p)
    )


def test_the_classifier_alone_asks_for_a_call_now_without_988() -> None:
    decision = _with("urgent", 0.4).decide("something the rules do not know", ACTIVE)
    assert decision.topic == "urgent" and decision.flag == pl.FLAG_URGENT
    assert decision.tier == Tier.CALL_NOW and "614-555-0100" in decision.body
    assert "988" not in decision.body
    assert decision.why.detector == "classifier"


def test_the_classifier_alone_gives_988_when_it_reads_self_harm() -> None:
    decision = _with("urgent", 0.4, p_self_harm=0.9).decide("nothing the rules know", ACTIVE)
    assert decision.tier == Tier.EMERGENCY and decision.flag == pl.FLAG_SELF_HARM
    assert "988" in decision.body


def test_the_classifier_alone_says_911_for_what_reads_as_a_sign_of_emergency() -> None:
    decision = _with("urgent", 0.4, p_911=0.9).decide("nothing the rules know", ACTIVE)
    assert decision.tier == Tier.EMERGENCY and decision.flag == pl.FLAG_URGENT
    assert "911" in decision.body and "988" not in decision.body


def test_an_unsure_classifier_gives_the_answer_a_line_to_call_and_a_review_flag() -> None:
    p = (model.REVIEW_P + model.ALARM_P) / 2
    decision = _with("trials", 0.5, p_urgent=p).decide("hmm", ACTIVE)
    assert decision.topic == "trials" and decision.flag == Flag.REVIEW
    assert decision.tier == Tier.REVIEW and "new or getting worse" in decision.body
    assert segment_info(decision.body).segments <= 2


def test_a_scoped_out_rule_turns_a_classifier_alarm_into_a_review() -> None:
    # The calibrated head alarms, the topic model does not call it urgent: a review.
    decision = _with("trials", 0.4, p_urgent=0.99).decide("my dog had a seizure", ACTIVE)
    assert decision.topic != "urgent" and decision.tier != Tier.EMERGENCY
    assert decision.flag is not None  # a person still reads it


def test_the_safety_net_alarms_when_the_topic_model_calls_it_urgent() -> None:
    """Whatever the calibrated head and the scopes say, a topic-model urgent score at the
    safety net's margin is an alarm: a call now, 988 only when self-harm is likely."""
    low = _with("urgent", triage.SAFETY_NET_MARGIN, p_urgent=0.01)
    decision = low.decide("my dog had a seizure", ACTIVE)
    assert decision.topic == "urgent" and decision.tier == Tier.CALL_NOW
    assert "988" not in decision.body
    sad = _with("urgent", 0.1, p_urgent=0.01, p_self_harm=0.9).decide("bye all", ACTIVE)
    assert sad.tier == Tier.EMERGENCY and "988" in sad.body
    below = _with("urgent", triage.SAFETY_NET_MARGIN - 0.01, p_urgent=0.01)
    assert below.decide("nothing the rules know", ACTIVE).topic != "urgent"


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


def test_a_stopped_number_still_gets_the_safety_reply_and_staff_are_asked_to_call() -> None:
    decision = _with("urgent", 0.4).decide("hmm", Context(status="stopped"))
    assert decision.topic == "urgent" and "614-555-0100" in decision.body
    assert decision.flag == Flag.CALL_OPTED_OUT


def test_a_stopped_number_gets_silence_for_anything_else() -> None:
    decision = _with("trials", 0.9).decide("hmm", Context(status="stopped"))
    assert decision.body is None and decision.flag is None


def test_classifier_yes_confirms_a_pending_enrollment() -> None:
    decision = _with("yes", 0.2).decide("go for it", Context(status="pending"))
    assert decision.consent == "opt_in" and decision.why.detector == "classifier"


def test_an_unsure_classifier_offers_cards_then_the_overview_then_choices() -> None:
    shy = _with("trials", pl.ANSWER_MIN - 0.1)
    assert shy.decide("clinical trials near me", ACTIVE).why.detector == "card choices"
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


def test_every_answer_with_the_review_line_stays_gsm7_within_two_segments() -> None:
    from bot.conversation.understanding.triage import fit

    content = load_content()
    for lang in ("en", "es"):
        local = content.in_language(lang)
        line = local.replies["review_line"].format(clinic_phone="614-555-0100", program="x")
        for topic in local.topics.values():
            info = segment_info(fit(topic.body, line))
            assert info.encoding == "GSM-7" and info.segments <= 2, (lang, topic)
            assert fit(topic.body, line).endswith(line)
