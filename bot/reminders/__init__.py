"""Reminder planning: scans, the plan (pure) and how it is applied, quiet hours, caps, the
text, the rescan rhythm. No clock and no sending: `schedules/` drives this on each tick."""
