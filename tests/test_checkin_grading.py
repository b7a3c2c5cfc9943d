"""How a check-in answer is read and graded (content/checkins.yaml, CHECKINS.md), and that
the pipeline reads it only after STOP and the red-flag checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from bot.checkins.conversation import OpenCheckin
from bot.checkins.grading import escalation, grade, read_answer
from bot.conversation.pipeline import Context
from bot.timeutil import When
from content import load_content

CONTENT = load_content()
EN, ES = CONTENT.checkins, CONTENT.in_language("es").checkins
STOOLS, BREATHING = EN.questions[0], EN.questions[1]

FRI_JAN_8 = When(datetime(2027, 1, 8, 14, 30), "America/New_York")


@pytest.mark.parametrize(
    ("text", "cc", "value", "trend"),
    [
        ("3", EN, 3, None),
        ("three", EN, 3, None),
        ("tres", ES, 3, None),
        ("None", EN, 0, None),
        ("ninguna", ES, 0, None),
        ("no diarrhea", EN, 0, None),
        ("8 times", EN, 8, None),
        ("about 5 more than usual", EN, 5, None),
        ("worse", EN, None, "worse"),
        ("peor, 2", ES, 2, "worse"),
        ("igual", ES, None, "same"),
        ("2 or 3", EN, None, None),  # two numbers: ask again
        ("I went to the store", EN, None, None),
        ("once a day", EN, None, None),  # not Spanish "once" (11)
    ],
)
def test_answers_are_understood(text, cc, value, trend) -> None:  # noqa: ANN001
    reading = read_answer(text, STOOLS, cc)
    assert (reading.value, reading.trend) == (value, trend)


SKIN, ENERGY = EN.questions[2], EN.questions[3]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("una", 1),
        ("uno", 1),
        ("Una vez", 1),
        ("one time", 1),
        ("ni una", 0),
        ("No, ni una", 0),
        ("ni una vez", 0),
        ("trece", 13),
        ("veinte", 20),
    ],
)
def test_una_and_uno_are_one_only_alone(text: str, value: int) -> None:
    assert read_answer(text, STOOLS, ES).value == value


@pytest.mark.parametrize(
    "text", ["una zona grande", "tengo una erupcion en todo el cuerpo", "un poco mas de una"]
)
def test_una_inside_a_sentence_is_the_article_not_a_grade(text: str) -> None:
    assert read_answer(text, SKIN, ES).value is None  # unclear: asked again, never 1


@pytest.mark.parametrize(
    ("text", "question", "cc"),
    [
        ("sin energia", ENERGY, ES),
        ("sin fuerzas", ENERGY, ES),
        ("nada de energia", ENERGY, ES),
        ("no puedo bañarme", ENERGY, ES),
        ("no muy bien", ENERGY, ES),
        ("nada bien", ENERGY, ES),
        ("no estoy bien", ENERGY, ES),
        ("no muy cansada", ENERGY, ES),
        ("no energy", ENERGY, EN),
        ("not well", ENERGY, EN),
        ("can't get dressed", ENERGY, EN),
        ("not too tired", ENERGY, EN),
        ("No, tengo tos", BREATHING, ES),  # "No (not fine), I have a cough"
        ("no breath", BREATHING, EN),
        ("no muy bien", STOOLS, ES),
    ],
)
def test_a_negated_good_thing_is_unclear_never_none(text, question, cc) -> None:  # noqa: ANN001
    reading = read_answer(text, question, cc)
    assert (reading.value, reading.none, reading.trend) == (None, False, None)


@pytest.mark.parametrize(
    ("text", "question", "cc"),
    [
        ("no cough", BREATHING, EN),
        ("sin tos", BREATHING, ES),
        ("no tengo diarrea", STOOLS, ES),
        ("no hay diarrea", STOOLS, ES),
        ("nada de picazon", SKIN, ES),
        ("no estoy cansada", ENERGY, ES),
        ("not tired", ENERGY, EN),
        ("no rash", SKIN, ES),  # the other language's symptom word
    ],
)
def test_a_negated_symptom_is_none(text, question, cc) -> None:  # noqa: ANN001
    reading = read_answer(text, question, cc)
    assert (reading.value, reading.none) == (0, True)


@pytest.mark.parametrize(
    ("text", "cc", "trend"),
    [
        ("no estoy mejor", ES, None),
        ("no me siento mejor", ES, None),
        ("no esta peor", ES, None),
        ("not better", EN, None),
        ("I don't feel better", EN, None),
        ("ni mejor ni peor", ES, "same"),
        ("neither better nor worse", EN, "same"),
        ("sigo igual", ES, "same"),
        ("ha empeorado", ES, "worse"),
        ("un poquito mejor", ES, "better"),
        ("no diarrhea but worse", EN, "worse"),  # the negation ends with its clause
    ],
)
def test_a_negated_trend_is_unclear(text: str, cc, trend) -> None:  # noqa: ANN001
    reading = read_answer(text, ENERGY, cc)
    assert (reading.value, reading.trend, reading.none) == (None, trend, False)


@pytest.mark.parametrize(
    ("extra", "expected"), [(0, 0), (1, 1), (3, 1), (4, 2), (6, 2), (7, 3), (12, 3)]
)
def test_loose_stool_grades_follow_the_thresholds(extra: int, expected: int) -> None:
    assert grade(STOOLS, extra) == expected


def test_escalation_rules() -> None:
    assert escalation(3, None, None) == "urgent"
    assert escalation(2, None, None) == "today"
    assert escalation(1, "worse", "worse") == "today"  # worse two weeks running
    assert escalation(1, "worse", None) is None
    assert escalation(5 - 5, "better", "worse") is None
    assert read_answer("5", BREATHING, EN).value is None  # a 0-3 scale: 5 is unclear


@pytest.fixture
def pipeline(app):  # noqa: ANN001, ANN201
    return app.extensions["nextsteps.pipeline"]


OPEN = OpenCheckin(id=1, step=0, reasked=False)


@pytest.mark.parametrize(
    "text", ["no", "none", "better", "not really", "mejor", "not better", "no estoy mejor"]
)
def test_a_bare_answer_is_neither_an_opt_out_nor_an_alarm(pipeline, text: str) -> None:  # noqa: ANN001
    decision = pipeline.decide(text, Context(status="active", language="en", checkin=OPEN))
    assert decision.topic == "checkin" and decision.new_status is None and decision.flag is None


@pytest.mark.parametrize(
    ("text", "topic"), [("STOP", "stop"), ("ALTO", "stop"), ("I can't breathe", "urgent")]
)
def test_stop_and_red_flags_come_before_the_answer(pipeline, text: str, topic: str) -> None:  # noqa: ANN001
    decision = pipeline.decide(text, Context(status="active", language="en", checkin=OPEN))
    assert decision.topic == topic


def test_yes_during_a_check_in_is_an_answer_not_a_consent(pipeline) -> None:  # noqa: ANN001
    last = OpenCheckin(id=1, step=4, reasked=False)  # "anything else worrying you?"
    decision = pipeline.decide("yes", Context(status="active", language="en", checkin=last))
    assert decision.topic == "checkin" and decision.body.startswith("Anything else worrying you?")
    assert decision.consent is None


def test_check_while_one_is_open_asks_the_waiting_question_again(pipeline) -> None:  # noqa: ANN001
    waiting = OpenCheckin(id=1, step=2, reasked=False)
    decision = pipeline.decide("CHECK", Context(status="active", language="en", checkin=waiting))
    assert decision.body.startswith("3/5: Any rash") and decision.checkin is None


def test_after_a_reminder_other_texts_go_the_normal_way(pipeline) -> None:  # noqa: ANN001
    from bot.conversation.pipeline import AwaitingReply

    ctx = Context(status="active", language="en", reminder=AwaitingReply(1, 1, FRI_JAN_8))
    assert pipeline.decide("hospice", ctx).topic == "hospice"
    assert pipeline.decide("C", ctx).topic == "scan_confirm"
    r = pipeline.decide("R", ctx)
    assert (r.topic, r.flag) == ("scan_reschedule", "reschedule")


def test_yes_after_a_reminder_is_a_c_but_a_pending_patients_yes_is_the_opt_in(pipeline) -> None:  # noqa: ANN001
    from bot.conversation.pipeline import AwaitingReply

    reminder = AwaitingReply(1, 1, FRI_JAN_8)
    active = Context(status="active", language="en", reminder=reminder)
    assert pipeline.decide("yes", active).topic == "scan_confirm"
    assert pipeline.decide("si", replace(active, language="es")).topic == "scan_confirm"
    pending = pipeline.decide("YES", replace(active, status="pending"))
    assert (pending.topic, pending.consent, pending.new_status) == ("yes", "opt_in", "active")
    assert pipeline.decide("STOP", active).topic == "stop"
    assert pipeline.decide("yes, I can't breathe", active).topic == "urgent"


def test_check_starts_one_only_for_an_active_patient(pipeline) -> None:  # noqa: ANN001
    started = pipeline.decide("chequeo", Context(status="active", language="en"))
    assert started.language == "es" and started.body.startswith("NextSteps, chequeo semanal")
    assert pipeline.decide("CHECK", Context(status="pending")).topic != "checkin"


@pytest.mark.parametrize(("text", "cc"), [("same", EN), ("the same", EN), ("igual", ES)])
def test_same_is_an_answer_even_without_last_weeks_number(text: str, cc) -> None:  # noqa: ANN001
    """It was asked again ("same" as what?) on a first check-in: now it is recorded as
    the trend, with no number invented, and the next question follows."""
    from bot.checkins.conversation import answer

    turn = answer(OPEN, text, cc, {"program": "NextSteps", "clinic_phone": "1"}, "urgent")
    assert (turn.trend, turn.value, turn.reasked, turn.step) == ("same", None, False, 1)
    assert turn.body == cc.questions[1].ask
