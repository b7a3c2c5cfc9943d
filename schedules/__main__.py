"""`python -m schedules`: the clock. `--once` runs one tick by hand; `--once --now T` is a
rehearsal: it sends what is due at T (to see a reminder without waiting for it) and leaves
no mark the real clock reads. Refused with FLASK_ENV=production."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime


def parse_now(value: str) -> datetime:
    """ISO 8601 ('2027-01-05T15:05Z', '...+01:00'); a time without a zone is UTC."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {value!r}") from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schedules", description=__doc__)
    parser.add_argument("--once", action="store_true", help="run one tick and exit")
    parser.add_argument(
        "--now", type=parse_now, help="with --once: rehearse a tick as if at this time"
    )
    args = parser.parse_args(argv)
    if args.now and not args.once:
        parser.error("--now needs --once")

    from sqlalchemy.exc import DBAPIError

    from bot import create_app
    from bot.config import ConfigError
    from bot.extensions import NO_SCHEMA_HINT, schema_missing
    from schedules.clock import run_clock, tick
    from schedules.leader import ClockAlreadyRunning

    try:
        app = create_app()
    except ConfigError as exc:
        print(f"clock not started: {exc}", file=sys.stderr)
        return 2
    if args.now and app.config["PRODUCTION"]:
        # A rehearsal at another hour would text real patients at the real one.
        parser.error("--now is a rehearsal for development: refused with FLASK_ENV=production")
    if not args.once:
        try:
            run_clock(app)
        except ClockAlreadyRunning as exc:
            print(f"clock not started: {exc}", file=sys.stderr)
            return 3
        return 0
    with app.app_context():
        try:
            stats = tick(args.now, rehearsal=args.now is not None)
        except DBAPIError as exc:
            if not schema_missing(exc):
                raise
            print(f"clock not started: {NO_SCHEMA_HINT}", file=sys.stderr)
            return 2
    done = "rehearsal done (the real clock is untouched)" if args.now else "tick done"
    print(f"{done}: {stats.summary() or 'nothing due'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
