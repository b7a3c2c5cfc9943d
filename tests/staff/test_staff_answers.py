"""/staff/questions (texts that got choices or no answer, grouped, counted) and
/staff/answers (every card, read-only), from texts through the signed webhook."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from bot.staff.questions import group
from tests.conftest import Phone

from .helpers import page_text


def test_questions_groups_similar_unanswered_texts_with_counts(
    app: Flask, staff_client: FlaskClient
) -> None:
    for number, body in (
        ("+16145550111", "the scan and the drug"),
        ("+16145550112", "the scan and the drugs?"),
        ("+16145550113", "<b>zzqx</b> blorp frobnicate"),
    ):
        Phone(app.test_client(), number).text(body)
    Phone(app.test_client(), "+16145550114").text("what is pseudoprogression")  # answered
    resp = staff_client.get("/staff/questions")
    assert resp.status_code == 200
    text = page_text(resp)
    assert "3 texts, 2 groups" in text
    assert "the scan and the drug" in text
    assert "what is pseudoprogression" not in text
    # A patient's text is escaped, never markup.
    assert "&lt;b&gt;zzqx&lt;/b&gt;" in resp.get_data(as_text=True)


def test_questions_bad_days_falls_back_and_never_500s(staff_client: FlaskClient) -> None:
    for value in ("abc", "-5", "99999"):
        assert staff_client.get(f"/staff/questions?days={value}").status_code == 200


def test_grouping_is_by_similarity_biggest_first() -> None:
    groups = group(
        [
            ("hospice at home?", None),
            ("what is a trial phase", "?trials-what-nr,trials-why-join-nr"),
            ("what is a trial phase?", "?trials-what-nr"),
        ]
    )
    assert [g.count for g in groups] == [2, 1]
    assert groups[0].offered == {"trials-what-nr": 2, "trials-why-join-nr": 1}
    assert group([]) == []


def test_answers_lists_every_card_with_its_source_in_both_languages(
    staff_client: FlaskClient,
) -> None:
    resp = staff_client.get("/staff/answers")
    text = page_text(resp)
    assert resp.status_code == 200
    assert "Every answer card (140)" in text
    assert "pseudoprogression-what-qa" in text and "quick-answer-worse:2.1" in text
    assert "Se llama pseudoprogresion." in text


def test_both_pages_need_a_login(client: FlaskClient) -> None:
    for path in ("/staff/questions", "/staff/answers"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/staff/login" in resp.location
