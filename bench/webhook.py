"""Webhook throughput and latency: the real POST /sms vs a bare Flask endpoint.

Both run under the same gunicorn settings and are driven by the same load generator
(wrk, one thread, 32 connections, on loopback) with pre-signed requests, each with a
unique MessageSid and one of many phone numbers, so every request does the full work:
signature check, dedupe insert, routing, TwiML. Rounds alternate bare/real and the
figures are medians; the ratio is taken inside each round.

Then memory: 10 000 more messages through the real app, RSS of each web worker sampled
along the way.

    python bench/webhook.py [--rounds 3] [--seconds 10] [--workers 2] [--database-url URL]
                            [--enrolled 10000]   # texts from active patients, not strangers
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import AUTH_TOKEN, DATA, inbound_form, sign  # noqa: E402
from tests.procs import free_port, gunicorn  # noqa: E402


def served(app: str, env: dict[str, str], workers: int):  # noqa: ANN201
    """gunicorn on a port known in advance, so PUBLIC_BASE_URL (what Twilio signs, as in
    production) can be set: the webhook then checks one signature."""
    port = free_port()
    return gunicorn(
        app, {**env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}, workers=workers, port=port
    )


def eval_texts() -> list[str]:
    with (DATA / "inbound-examples.tsv").open(encoding="utf-8") as fh:
        return [r[0] for r in csv.reader(fh, delimiter="\t") if r and not r[0].startswith("#")]


def phone(i: int) -> str:
    """The number of enrolled patient i (see enroll())."""
    return f"+161455{i:05d}"


def enroll(app, count: int) -> None:  # noqa: ANN001
    """Active patients 0..count-1, each with a CT scan in ten days (rows only, no texts)."""
    from datetime import timedelta

    from bot.extensions import db
    from bot.models import ACTIVE, Patient, Scan, utcnow

    with app.app_context():
        patients = [Patient(phone=phone(i), status=ACTIVE, language="en") for i in range(count)]
        db.session.add_all(patients)
        db.session.flush()
        when = utcnow() + timedelta(days=10)
        db.session.add_all(Scan(patient_id=p.id, scheduled_at=when) for p in patients)
        db.session.commit()


def signed_requests(base: str, n: int, seed: int, patients: int = 0) -> list[tuple[str, str]]:
    """n (signature, urlencoded body) pairs for POST base/sms, each with its own MessageSid
    and an eval text; from enrolled patients (one after another) when `patients`, else
    from random unknown numbers."""
    rng = random.Random(seed)
    texts = [t for t in eval_texts() if t.upper() not in ("STOP", "UNSUBSCRIBE")]
    out = []
    for i in range(n):
        sender = phone(i % patients) if patients else f"+1614{rng.randrange(10**7):07d}"
        form = inbound_form(rng.choice(texts), from_=sender, sid=f"SM{seed:08x}{i:024x}")
        out.append((sign(base + "/sms", form), urlencode(form)))
    return out


def write_requests(path: Path, base: str, n: int, seed: int, patients: int = 0) -> None:
    """The requests as wrk's script reads them: signature TAB body, one per line."""
    lines = (f"{sig}\t{body}\n" for sig, body in signed_requests(base, n, seed, patients))
    path.write_text("".join(lines))


def run_wrk(base: str, script: Path, reqfile: Path, seconds: int, conns: int) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{conns}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            base,
            "--",
            str(reqfile),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
        "non2xx": int(errors.group(1)) if errors else 0,
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
    }


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def migrate(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "bot", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--memory-messages", type=int, default=10_000)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--enrolled", type=int, default=0, help="texts from this many active patients")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    db_url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    migrate(db_url)
    if args.enrolled:
        os.environ["DATABASE_URL"] = db_url
        from bot import create_app

        enroll(create_app(), args.enrolled)
    env = {"DATABASE_URL": db_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "LOG_LEVEL": "WARNING"}
    script = ROOT / "bench" / "webhook.lua"
    print(
        f"machine: {os.cpu_count()} cores; database: {db_url.split('://')[0]}; "
        f"gunicorn sync workers={args.workers}; wrk -t1 -c{args.connections} "
        f"-d{args.seconds}s; load average {os.getloadavg()[0]:.1f}; texts from "
        f"{f'{args.enrolled} active patients' if args.enrolled else 'unknown numbers'}",
        flush=True,
    )

    rows = []
    for r in range(args.rounds):
        result = {}
        apps = (("bare", "bench.bare_app:create_app()"), ("real", "bot:create_web_app()"))
        for name, app in apps:
            with served(app, env, args.workers) as (base, _):
                reqfile = tmp / f"req-{name}-{r}.txt"
                seed = r * 2 + (name == "real")
                write_requests(reqfile, base, 40_000, seed, args.enrolled)
                result[name] = run_wrk(base, script, reqfile, args.seconds, args.connections)
        ratio = result["real"]["rps"] / result["bare"]["rps"]
        rows.append((result, ratio))
        print(
            f"round {r + 1}: bare {result['bare']}  real {result['real']}  ratio {ratio:.3f}",
            flush=True,
        )

    def med(name: str, key: str) -> float:
        return statistics.median(res[name][key] for res, _ in rows)

    print("\n| endpoint | req/s (median) | p50 ms | p99 ms | non-2xx |")
    print("|---|---|---|---|---|")
    for name in ("bare", "real"):
        print(
            f"| {name} | {med(name, 'rps'):.0f} | {med(name, 'p50'):.1f} | "
            f"{med(name, 'p99'):.1f} | {sum(res[name]['non2xx'] for res, _ in rows)} |"
        )
    print(f"load average after the rounds: {os.getloadavg()[0]:.1f}")
    print(
        f"\nthroughput ratio real/bare (median of per-round ratios): "
        f"{statistics.median(r for _, r in rows):.3f}"
    )

    # Memory: RSS of each web worker while 10 000 messages go through the real app.
    with served("bot:create_app()", env, args.workers) as (base, proc):
        reqfile = tmp / "req-mem.txt"
        write_requests(reqfile, base, args.memory_messages, 999, args.enrolled)
        lines = reqfile.read_text().splitlines()

        def post(line: str) -> int:
            sig, body = line.split("\t", 1)
            req = urllib.request.Request(
                base + "/sms",
                data=body.encode(),
                method="POST",
                headers={
                    "X-Twilio-Signature": sig,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status

        samples = []
        step = args.memory_messages // 5
        start = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            for i in range(0, len(lines), step):
                statuses = list(pool.map(post, lines[i : i + step]))
                assert all(s == 200 for s in statuses)
                samples.append((i + step, [round(rss_mb(p), 1) for p in worker_pids(proc.pid)]))
        elapsed = time.monotonic() - start
    print(f"\nweb worker RSS (MB) after N messages ({args.memory_messages} in {elapsed:.0f} s):")
    for n, rss in samples:
        print(f"  {n:>6}: {rss}")


if __name__ == "__main__":
    main()
