"""Reminder benchmarks: dispatch throughput against the fake Twilio server, and the
planner tick's cost with few vs many future reminders.

    python bench/dispatch.py send --count 10000 --rate 50 --latency-ms 200
    python bench/dispatch.py planner --sizes 1000,1000000 --runs 7
    python bench/dispatch.py memory --count 10000
    python bench/dispatch.py multi --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Run from the project root. Both build a fresh SQLite database under bench/results/
(or use --database-url for PostgreSQL: a throwaway database you can drop) and print
one JSON line of figures at the end. Results go in BENCHMARKS.md, "Reminder dispatch".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bot import create_app  # noqa: E402
from bot.extensions import db  # noqa: E402
from bot.models import ACTIVE, PLANNED, SCHEDULED, Patient, Reminder, Scan, utcnow  # noqa: E402

ACCOUNT_SID = "AC" + "0" * 32
RESULTS = ROOT / "bench" / "results"
BATCH = 50_000


def _app(database_url: str | None, name: str, **config: object):  # noqa: ANN202
    if database_url:
        uri = database_url
    else:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        uri = f"sqlite:///{path}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": uri,
            "LOG_LEVEL": "WARNING",
            # Whatever the hour in New York when the bench runs.
            "QUIET_HOURS_START": "00:00",
            "QUIET_HOURS_END": "00:00",
            **config,
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        import logging

        logging.getLogger("nextsteps").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade()
    return app


def _bulk(model, rows: list[dict]) -> None:  # noqa: ANN001
    for i in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[i : i + BATCH])
    db.session.commit()


def _patients(count: int, start_id: int = 1, **extra: object) -> list[dict]:
    now = utcnow()
    return [
        {
            "id": start_id + i,
            "phone": f"+1614{start_id + i:07d}",
            "display_name": "",
            "status": ACTIVE,
            "timezone": "America/New_York",
            "language": "en",
            "discreet": False,
            "question_cursor": 0,
            "created_at": now,
            "updated_at": now,
            **extra,
        }
        for i in range(count)
    ]


def _scan(sid: int, pid: int, at, status: str = SCHEDULED) -> dict:  # noqa: ANN001
    return {
        "id": sid,
        "patient_id": pid,
        "scheduled_at": at,
        "kind": "CT",
        "place": "",
        "status": status,
        "created_at": at,
        "updated_at": at,
    }


def _reminder(pid: int, sid: int, offset: int, due) -> dict:  # noqa: ANN001
    return {
        "patient_id": pid,
        "scan_id": sid,
        "offset_days": offset,
        "due_at": due,
        "status": PLANNED,
        "body": "",
        "attempts": 0,
        "created_at": due,
        "updated_at": due,
    }


# -- dispatch throughput ---------------------------------------------------------------
@contextmanager
def fake_twilio(latency_ms: float) -> Iterator[str]:
    """The fake Twilio server as its own process; yields its base URL."""
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_twilio", "--latency-ms", str(latency_ms)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield fake.stdout.readline().strip().rsplit(" ", 1)[-1]
    finally:
        fake.terminate()
        fake.wait()


def received(url: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/_fake/messages") as resp:
        return json.load(resp)


def _seed(count: int, first_id: int = 1) -> None:
    """`count` active patients, each with a scan tomorrow and a reminder due now."""
    now, ids = utcnow(), range(first_id, first_id + count)
    _bulk(Patient, _patients(count, start_id=first_id))
    _bulk(Scan, [_scan(i, i, now + timedelta(days=1)) for i in ids])
    _bulk(Reminder, [_reminder(i, i, 1, now - timedelta(minutes=1)) for i in ids])


def bench_send(args: argparse.Namespace) -> dict:
    with fake_twilio(args.latency_ms) as url:
        app = _app(
            args.database_url,
            "dispatch",
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN="bench-token",
            TWILIO_FROM_NUMBER="+16145550100",
            TWILIO_API_BASE_URL=url,
            SEND_RATE_PER_SECOND=args.rate,
            SEND_CONCURRENCY=args.concurrency,
        )
        with app.app_context():
            _seed(args.count)
            from schedules.dispatcher import dispatch

            started = time.monotonic()
            stats = dispatch()
            elapsed = time.monotonic() - started
        messages = received(url)
    arrivals = sorted(m["_received_at"] for m in messages)
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else float("nan")
    return {
        "bench": "send",
        "count": args.count,
        "rate_limit": args.rate,
        "latency_ms": args.latency_ms,
        "concurrency": args.concurrency,
        "sent": stats.sent,
        "received_by_fake": len(messages),
        "duplicates": len(messages) - len({m["to"] for m in messages}),
        "seconds": round(elapsed, 1),
        # Steady-state rate as Twilio sees it (first to last request), and end to end.
        "mps_at_server": round((len(arrivals) - 1) / span, 2),
        "mps_end_to_end": round(stats.sent / elapsed, 2),
        "pct_of_limit": round(100 * (len(arrivals) - 1) / span / args.rate, 1),
    }


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def bench_memory(args: argparse.Namespace) -> dict:
    """RSS of this process (the clock's work, in-process) as 10 000 reminders go out in
    batches: the figure to watch is growth between the later samples."""
    with fake_twilio(0) as url:
        app = _app(
            args.database_url,
            "memory",
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN="bench-token",
            TWILIO_FROM_NUMBER="+16145550100",
            TWILIO_API_BASE_URL=url,
            SEND_RATE_PER_SECOND=1000.0,
            SEND_CONCURRENCY=16,
        )
        from schedules.clock import tick

        samples = {"start": rss_mb()}
        step = args.count // 5
        with app.app_context():
            for first in range(1, args.count + 1, step):
                _seed(step, first_id=first)
                tick()
                db.session.remove()
                samples[first + step - 1] = rss_mb()
        sent = len(received(url))
    later = [v for k, v in samples.items() if k != "start"]
    return {
        "bench": "memory",
        "sent": sent,
        "rss_mb": samples,
        "growth_mb_last_4_batches": round(later[-1] - later[0], 1),
    }


def bench_multi(args: argparse.Namespace) -> dict:
    """N `python -m schedules --once` processes on one database, each with its own rate
    limit, against one fake Twilio with latency: aggregate messages per second."""
    with fake_twilio(args.latency_ms) as url:
        app = _app(args.database_url, "multi")
        with app.app_context():
            _seed(args.count)
            uri = str(db.engine.url.render_as_string(hide_password=False))
            db.engine.dispose()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": uri,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": "bench-token",
            "TWILIO_FROM_NUMBER": "+16145550100",
            "TWILIO_API_BASE_URL": url,
            "SEND_RATE_PER_SECOND": str(args.rate),
            "SEND_CONCURRENCY": str(args.concurrency),
            "QUIET_HOURS_START": "00:00",
            "QUIET_HOURS_END": "00:00",
            "LOG_LEVEL": "WARNING",
        }
        started = time.monotonic()
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "schedules", "--once"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(args.processes)
        ]
        shares = [p.communicate()[0].strip() for p in procs]
        elapsed = time.monotonic() - started
        messages = received(url)
    arrivals = sorted(m["_received_at"] for m in messages)
    span = arrivals[-1] - arrivals[0]
    return {
        "bench": "multi",
        "database": uri.split(":")[0],
        "processes": args.processes,
        "rate_limit_each": args.rate,
        "latency_ms": args.latency_ms,
        "count": args.count,
        "received_by_fake": len(messages),
        "duplicates": len(messages) - len({m["to"] for m in messages}),
        "shares": shares,
        "seconds": round(elapsed, 1),
        "mps_at_server": round((len(arrivals) - 1) / span, 1),
    }


# -- planner tick scaling --------------------------------------------------------------
def _tick_at(base, k: int):  # noqa: ANN001, ANN202
    # Three hours apart: more than the 2 h grace, so each tick's work is its own.
    return base + timedelta(hours=3 * (k + 1))


def _planner_db(size: int, runs: int, database_url: str | None):  # noqa: ANN202
    """`size` future reminders, plus the same small amount of due work for each run."""
    app = _app(database_url, f"planner_{size}")
    per_patient = 5  # future scans each, 2 reminders per scan
    scans = max(1, size // 2)
    patients = max(1, scans // per_patient)
    base = utcnow().replace(microsecond=0) + timedelta(days=1)
    with app.app_context():
        rhythm = {"treatment_start": base - timedelta(weeks=20)}
        rhythm |= {"rhythm_first_weeks": 12, "rhythm_every_weeks": 8}
        _bulk(Patient, _patients(patients, **rhythm))
        scan_rows, reminder_rows = [], []
        for i in range(scans):
            sid, pid = i + 1, i % patients + 1
            at = base + timedelta(days=10 + (i * 97) % 300, hours=i % 8)
            scan_rows.append(_scan(sid, pid, at))
            reminder_rows.append(_reminder(pid, sid, 7, at - timedelta(days=7)))
            reminder_rows.append(_reminder(pid, sid, 1, at - timedelta(days=1)))
        # Each timed tick k finds 10 scans that just passed (patients with a rhythm: the
        # next scan gets booked) and 10 reminders missed hours ago: equal work per tick.
        extra = patients + 1
        _bulk(Patient, _patients(20 * runs, start_id=extra, **rhythm))
        for k in range(runs):
            tick_at = _tick_at(base, k)
            for j in range(10):
                sid, pid = scans + 1 + 20 * k + j, extra + 20 * k + j
                scan_rows.append(_scan(sid, pid, tick_at - timedelta(minutes=30)))
                sid, pid = sid + 10, pid + 10
                scan_rows.append(_scan(sid, pid, tick_at + timedelta(days=1)))
                reminder_rows.append(_reminder(pid, sid, 1, tick_at - timedelta(minutes=150)))
        _bulk(Scan, scan_rows)
        _bulk(Reminder, reminder_rows)
        last_tick = _tick_at(base, runs)
        future = db.session.query(Reminder).filter(Reminder.due_at > last_tick).count()
    return app, base, future


def bench_planner(args: argparse.Namespace) -> dict:
    from bot.reminders.planner import skip_missed
    from bot.reminders.rhythm import advance_rhythms
    from schedules.clock import tick

    results = {}
    for size in args.sizes:
        t0 = time.monotonic()
        app, base, future = _planner_db(size, args.runs, args.database_url)
        setup = time.monotonic() - t0
        ticks, planner_only = [], []
        with app.app_context():
            for k in range(args.runs):
                now = _tick_at(base, k)
                started = time.perf_counter()
                advance_rhythms(now)
                missed = skip_missed(now)
                db.session.commit()
                planner_only.append(time.perf_counter() - started)
                assert missed == 10, missed
                started = time.perf_counter()
                tick(now + timedelta(minutes=1))  # the whole tick: nothing left to do
                ticks.append(time.perf_counter() - started)
        results[size] = {
            "future_reminders": future,
            "setup_s": round(setup, 1),
            "planner_step_ms_median": round(1000 * statistics.median(planner_only), 2),
            "tick_ms_median": round(1000 * statistics.median(ticks), 2),
            "planner_step_ms_all": [round(1000 * x, 2) for x in planner_only],
        }
        print(json.dumps({size: results[size]}), flush=True)
    small, large = min(args.sizes), max(args.sizes)
    return {
        "bench": "planner",
        "runs": args.runs,
        "sizes": results,
        "planner_step_ratio": round(
            results[large]["planner_step_ms_median"] / results[small]["planner_step_ms_median"], 2
        ),
        "idle_tick_ratio": round(
            results[large]["tick_ms_median"] / results[small]["tick_ms_median"], 2
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    sub = parser.add_subparsers(dest="bench", required=True)
    send = sub.add_parser("send", help="dispatch throughput against the fake Twilio server")
    send.add_argument("--count", type=int, default=10_000)
    send.add_argument("--rate", type=float, default=50.0)
    send.add_argument("--latency-ms", type=float, default=200.0)
    send.add_argument("--concurrency", type=int, default=16)
    planner = sub.add_parser("planner", help="tick time with few vs many future reminders")
    planner.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 1_000_000]
    )
    planner.add_argument("--runs", type=int, default=7)
    memory = sub.add_parser("memory", help="the clock's RSS over 10 000 sends")
    memory.add_argument("--count", type=int, default=10_000)
    multi = sub.add_parser("multi", help="several dispatcher processes on one database")
    multi.add_argument("--processes", type=int, default=3)
    multi.add_argument("--count", type=int, default=5_000)
    multi.add_argument("--rate", type=float, default=50.0)
    multi.add_argument("--latency-ms", type=float, default=200.0)
    multi.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    runs = {"send": bench_send, "planner": bench_planner, "memory": bench_memory}
    result = runs.get(args.bench, bench_multi)(args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
