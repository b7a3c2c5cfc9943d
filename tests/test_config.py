"""Settings: one place, clear errors for missing or contradictory configuration."""

from __future__ import annotations

import secrets

import pytest

from bot.config import ConfigError, database_url, load_config


def test_defaults_run_on_sqlite_with_the_console_transport(tmp_path) -> None:
    cfg = load_config(str(tmp_path), env={})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/nextsteps.sqlite3"
    assert cfg["TWILIO_ACCOUNT_SID"] == ""


@pytest.mark.parametrize(
    "env,message",
    [
        ({"TWILIO_ACCOUNT_SID": "AC123"}, "TWILIO_AUTH_TOKEN"),
        ({"TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "t"}, "TWILIO_FROM_NUMBER"),
        (
            {"TWILIO_ACCOUNT_SID": "XX1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": "+1"},
            "start with AC",
        ),
        ({"PUBLIC_BASE_URL": "bot.example.org"}, "PUBLIC_BASE_URL"),
        ({"DEFAULT_TIMEZONE": "Mars/Olympus"}, "DEFAULT_TIMEZONE"),
        ({"QUIET_HOURS_START": "25:00"}, "QUIET_HOURS_START"),
        ({"SEND_RATE_PER_SECOND": "fast"}, "SEND_RATE_PER_SECOND"),
        ({"LOOP_MAX_PER_MINUTE": "0"}, "LOOP_MAX_PER_MINUTE"),
        ({"REMINDER_OFFSETS_DAYS": "7,x"}, "REMINDER_OFFSETS_DAYS"),
        ({"FLASK_ENV": "production"}, "SECRET_KEY"),
        ({"BACKUP_DIR": "backups"}, "BACKUP_DIR must be an absolute path"),
        ({"BACKUP_KEEP": "0"}, "BACKUP_KEEP"),
        ({"RETENTION_DAYS": "7"}, "RETENTION_DAYS must be at least 30"),
        ({"NIGHTLY_LOCAL_TIME": "2am"}, "NIGHTLY_LOCAL_TIME"),
    ],
)
def test_bad_configuration_names_the_variable(tmp_path, env: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(str(tmp_path), env=env)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("postgres://u:p@db:5432/app", "postgresql+psycopg://u:p@db:5432/app"),
        ("postgresql://db/app", "postgresql+psycopg://db/app"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_from_hosting_platforms(raw: str, expected: str) -> None:
    assert database_url(raw, "/unused") == expected


def test_secure_cookies_follow_an_https_public_url(tmp_path) -> None:
    assert load_config(str(tmp_path), env={"PUBLIC_BASE_URL": "https://x.org"})[
        "SESSION_COOKIE_SECURE"
    ]
    assert not load_config(str(tmp_path), env={})["SESSION_COOKIE_SECURE"]


def test_the_spool_lives_under_the_instance_folder_unless_spool_dir_says(tmp_path) -> None:
    assert load_config(str(tmp_path), env={})["SPOOL_DIR"] == str(tmp_path / "spool")
    cfg = load_config(str(tmp_path), env={"SPOOL_DIR": "/var/spool/nextsteps"})
    assert cfg["SPOOL_DIR"] == "/var/spool/nextsteps"
    with pytest.raises(ConfigError, match="SPOOL_MAX_BYTES"):
        load_config(str(tmp_path), env={"SPOOL_MAX_BYTES": "12"})


def test_nightly_backup_is_off_and_retention_is_a_year_by_default(tmp_path) -> None:
    config = load_config(str(tmp_path), env={})
    assert config["BACKUP_DIR"] == "" and config["BACKUP_KEEP"] == 14
    assert config["RETENTION_DAYS"] == 365 and config["NIGHTLY_LOCAL_TIME"] == "02:30"


def test_production_names_every_setting_patients_would_miss(tmp_path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(str(tmp_path), env={"FLASK_ENV": "production"})
    assert "SECRET_KEY" in str(caught.value) and "CLINIC_PHONE" in str(caught.value)
    with pytest.raises(ConfigError, match="CLINIC_PHONE") as caught:
        env = {"FLASK_ENV": "production", "SECRET_KEY": secrets.token_hex(32)}
        load_config(str(tmp_path), env=env)
    assert "SECRET_KEY" not in str(caught.value)


def test_a_flask_command_in_production_without_clinic_phone_exits_naming_it(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("CLINIC_PHONE", "SECRET_KEY")}
    env.update(FLASK_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    flask = str(Path(sys.executable).parent / "flask")
    done = subprocess.run(
        [flask, "--app", "bot", "reply", "hi"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "CLINIC_PHONE" in done.stderr and "SECRET_KEY" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unset_clinic_phone_reads_in_the_texts_language(app_config) -> None:
    from bot import create_app

    app = create_app({**app_config, "CLINIC_PHONE": ""})
    pipeline = app.extensions["nextsteps.pipeline"]
    spanish = pipeline.render("urgent", "es") + pipeline.render("help", "es")
    assert "your clinic" not in spanish and "el numero principal de su clinica" in spanish
    assert "your clinic's main number" in pipeline.render("help", "en")


@pytest.mark.parametrize(
    "key",
    ["changeme", "secret", "x" * 40, "ab" * 20, "short-but-random-Qz8",
     "change-me-to-64-random-characters"],  # deploy/nextsteps.env.example's
)
def test_production_refuses_a_weak_secret_key(tmp_path, key: str) -> None:
    env = {"FLASK_ENV": "production", "SECRET_KEY": key, "CLINIC_PHONE": "614-555-0100"}
    with pytest.raises(ConfigError, match="SECRET_KEY is too weak"):
        load_config(str(tmp_path), env=env)


def test_production_takes_a_random_secret_key(tmp_path) -> None:
    import secrets

    env = {"FLASK_ENV": "production", "SECRET_KEY": secrets.token_hex(32)}
    assert load_config(str(tmp_path), env={**env, "CLINIC_PHONE": "614-555-0100"})["PRODUCTION"]
