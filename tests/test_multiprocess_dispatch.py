"""Three dispatcher processes on one database over 5 000 due reminders: each is sent
exactly once. Real processes (`python -m schedules --once`), the real twilio client, the
fake Twilio server counting what arrives. Runs on SQLite and, in CI, on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.extensions import db
from bot.models import ACTIVE, PLANNED, SCHEDULED, SENT, Message, Patient, Reminder, Scan, utcnow
from tests.procs import ROOT, clock_env

pytestmark = pytest.mark.slow
COUNT = 5000


def _seed_due_reminders(count: int, now: datetime | None = None) -> None:
    """Bulk rows: `count` active patients, each with a scan in a week and a reminder due at
    `now` (default: our clock)."""
    now = now or utcnow()
    db.session.execute(
        insert(Patient),
        [
            {
                "phone": f"+1614{i:07d}",
                "status": ACTIVE,
                "timezone": "America/New_York",
                "display_name": "",
                "language": "en",
                "discreet": False,
                "question_cursor": 0,
            }
            for i in range(count)
        ],
    )
    ids = db.session.scalars(select(Patient.id).order_by(Patient.id)).all()
    db.session.execute(
        insert(Scan),
        [
            {
                "patient_id": pid,
                "scheduled_at": now + timedelta(days=7),
                "kind": "CT",
                "place": "",
                "status": SCHEDULED,
            }
            for pid in ids
        ],
    )
    scans = db.session.execute(select(Scan.id, Scan.patient_id)).all()
    db.session.execute(
        insert(Reminder),
        [
            {
                "patient_id": pid,
                "scan_id": sid,
                "offset_days": 7,
                "status": PLANNED,
                "due_at": now - timedelta(minutes=1),
                "body": "",
                "attempts": 0,
            }
            for sid, pid in scans
        ],
    )
    db.session.commit()


def test_three_dispatchers_send_each_reminder_exactly_once(
    twilio_app, fake_twilio, database_uri
) -> None:
    with twilio_app.app_context():
        _seed_due_reminders(COUNT)
    env = clock_env(
        database_uri,
        fake_twilio.url,
        SEND_RATE_PER_SECOND="400",
        SEND_CONCURRENCY="8",
        QUIET_HOURS_START="00:00",  # whatever the hour in New York when this runs
        QUIET_HOURS_END="00:00",
        LOG_LEVEL="WARNING",
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "schedules", "--once"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-2000:]
    per_process = [out.strip() for out, _ in outputs]
    print("\n".join(per_process))

    by_number = Counter(m["to"] for m in fake_twilio.messages)
    assert len(by_number) == COUNT, "a due reminder was not sent"
    assert max(by_number.values()) == 1, "a reminder was sent twice"
    assert sum("sent=" in line for line in per_process) >= 2, "the work was not shared"
    with twilio_app.app_context():
        statuses = dict(
            db.session.execute(
                select(Reminder.status, func.count()).group_by(Reminder.status)
            ).all()
        )
        recorded = db.session.scalar(
            select(func.count()).select_from(Message).where(Message.reminder_id.is_not(None))
        )
    assert statuses == {SENT: COUNT}
    assert recorded == COUNT
