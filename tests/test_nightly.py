"""The clock's nightly jobs: retention blanks old bodies (never consent), and a backup
a night is kept in BACKUP_DIR, the newest BACKUP_KEEP of them."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import SENT, ClockTick, ConsentEvent, Message, Reminder
from schedules.clock import tick
from tests.conftest import Phone
from tests.reminder_helpers import make_patient, utc

pytestmark = pytest.mark.usefixtures("now")

# 03:00 in New York (the clinic's DEFAULT_TIMEZONE) on fixed days after NOW.
NIGHT = utc("2027-02-01 08:00")


def test_retention_blanks_old_bodies_and_keeps_who_when_topic_status(app, client, now):
    phone = Phone(client)
    assert "unsubscribed" in phone.text("STOP")
    phone.text("can I get hospice at home?")
    with app.app_context():
        patient = make_patient("+16145550124")
        old = Reminder(patient_id=patient.id, due_at=now, status=SENT, body="Your scan is Tue")
        waiting = Reminder(
            patient_id=patient.id, due_at=now + timedelta(days=370), body="still to send"
        )
        db.session.add_all([old, waiting])
        db.session.add(
            Message(
                direction="outbound",
                phone=patient.phone,
                body="Hi",
                status="sent",
                topic="reminder",
                created_at=now + timedelta(days=300),
            )
        )
        db.session.commit()
        before = {
            m.id: (m.phone, m.direction, m.topic, m.status, m.created_at)
            for m in db.session.scalars(select(Message))
        }
        consent = [(c.event, c.detail) for c in db.session.scalars(select(ConsentEvent))]

        tick(now=now + timedelta(days=366, hours=1))  # 13:00 NY: after the nightly time

        db.session.expire_all()
        msgs = {m.id: m for m in db.session.scalars(select(Message))}
        kept = {i: (m.phone, m.direction, m.topic, m.status, m.created_at) for i, m in msgs.items()}
        assert kept == before  # who, when, topic, status: all still there
        young = [m for m in msgs.values() if m.body]
        assert [m.body for m in young] == ["Hi"]  # only the text under a year old
        assert len(msgs) == 4  # STOP, its reply, the silenced text, Hi
        assert [(c.event, c.detail) for c in db.session.scalars(select(ConsentEvent))] == consent
        assert consent and consent[-1][0] == "opt_out"
        assert db.session.get(Reminder, old.id).body == ""
        assert db.session.get(Reminder, waiting.id).body == "still to send"


def test_nightly_backup_keeps_the_last_n(app_config, request, tmp_path):
    keep = 2
    app_config.update(BACKUP_DIR=str(tmp_path / "backups"), BACKUP_KEEP=keep)
    app = request.getfixturevalue("app")
    with app.app_context():
        make_patient()
        db.session.commit()
        for day in range(4):
            night = NIGHT + timedelta(days=day)
            tick(now=night - timedelta(hours=2))  # 01:00: not yet
            tick(now=night)
            tick(now=night + timedelta(hours=2))  # same night again: no second backup
        files = sorted(p.name for p in (tmp_path / "backups").iterdir())
        suffix = ".sqlite3" if db.engine.dialect.name == "sqlite" else ".pgdump"
        assert files == [f"nextsteps-2027-02-0{d}{suffix}" for d in (3, 4)]
        row = db.session.get(ClockTick, "backup")
        assert row.detail == files[-1]
        if suffix == ".sqlite3":
            copy = sqlite3.connect(tmp_path / "backups" / files[-1])
            assert copy.execute("select phone from patients").fetchall() == [("+16145550123",)]
            copy.close()
    assert "nextsteps_last_backup_age_seconds" in app.test_client().get("/metrics").text


def test_nightly_runs_once_a_night_and_without_backup_dir_takes_no_backup(app, tmp_path):
    with app.app_context():
        tick(now=NIGHT - timedelta(hours=2))  # 01:00 NY: not yet
        assert db.session.get(ClockTick, "nightly") is None
        tick(now=NIGHT)
        row = db.session.get(ClockTick, "nightly")
        assert (row.last_tick_at, row.detail) == (NIGHT, "blanked=0 backup=off")
        tick(now=NIGHT + timedelta(hours=3))
        assert db.session.get(ClockTick, "nightly").last_tick_at == NIGHT
        assert db.session.get(ClockTick, "backup") is None
