"""The clock process (Procfile `clock:`). Filled in by the reminders work."""

import sys

if __name__ == "__main__":
    print("schedules: the reminder clock is not built yet", file=sys.stderr)
    sys.exit(0)
