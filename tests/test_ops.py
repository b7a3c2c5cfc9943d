"""/healthz and /metrics: what a load balancer and Prometheus see."""

from __future__ import annotations

from datetime import timedelta

from bot.extensions import db
from bot.models import ClockTick, Patient, Reminder, utcnow
from tests.conftest import Phone


def test_healthz_reports_database_content_and_a_clock_that_never_ticked(client) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["status"] == "ok" and data["database"] == "ok"
    assert data["content_topics"] == 12
    assert data["clock"] == "never ticked"


def test_healthz_reports_a_stale_clock_without_failing(app, client) -> None:
    with app.app_context():
        db.session.add(ClockTick(name="dispatch", last_tick_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    data = client.get("/healthz").get_json()
    assert data["clock"] == "stale" and data["clock_last_tick_age_seconds"] > 3000


def test_healthz_is_degraded_when_the_database_is_gone(app_config) -> None:
    # The worker still answers texts from memory and spools them: keep it in rotation.
    from bot import create_app

    app_config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    resp = create_app(app_config).test_client().get("/healthz")
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["status"] == "degraded" and data["database"].startswith("error")
    assert data["spool"] == "ok" and data["spool_waiting"] == 0


def test_healthz_is_503_when_neither_database_nor_spool_can_store(app_config, tmp_path) -> None:
    from bot import create_app

    (tmp_path / "a-file").write_text("")
    app_config["SPOOL_DIR"] = str(tmp_path / "a-file" / "spool")
    app_config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    resp = create_app(app_config).test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["spool"] == "not writable"


def test_metrics_count_texts_by_topic_and_reminders_due(app, client, phone: Phone) -> None:
    phone.text("TRIALS")
    phone.text("HOSPICE")
    phone.text("hospice?")
    with app.app_context():
        patient = Patient(phone="+16145550111", status="active")
        db.session.add(patient)
        db.session.flush()
        db.session.add(
            Reminder(patient_id=patient.id, due_at=utcnow() - timedelta(minutes=10), body="x")
        )
        db.session.commit()
    body = client.get("/metrics").get_data(as_text=True)
    assert 'nextsteps_inbound_texts{topic="hospice"} 2.0' in body
    assert 'nextsteps_inbound_texts{topic="trials"} 1.0' in body
    assert 'nextsteps_outbound_texts{status="replied"} 3.0' in body
    assert "nextsteps_reminders_due 1.0" in body
    assert "nextsteps_reminders_late 1.0" in body
    (lag_line,) = [
        ln for ln in body.splitlines() if ln.startswith("nextsteps_dispatch_lag_seconds ")
    ]
    lag = float(lag_line.split()[1])
    assert lag >= 600
