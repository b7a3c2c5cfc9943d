"""Time: plan reminders from scans and dispatch them when due (the `clock` process)."""
