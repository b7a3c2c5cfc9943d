"""`python -m schedules`: the clock. `--once [--now 2027-01-05T15:05Z]` runs one tick."""

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
    parser.add_argument("--now", type=parse_now, help="with --once: tick as if at this time")
    args = parser.parse_args(argv)
    if args.now and not args.once:
        parser.error("--now needs --once")

    from bot import create_app
    from schedules.clock import run_clock, tick
    from schedules.leader import ClockAlreadyRunning

    app = create_app()
    if not args.once:
        try:
            run_clock(app)
        except ClockAlreadyRunning as exc:
            print(f"clock not started: {exc}", file=sys.stderr)
            return 3
        return 0
    with app.app_context():
        stats = tick(args.now)
    print(f"tick done: {stats.summary() or 'nothing due'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
