"""Time: plan reminders from scans and dispatch them when due (the `clock` process).

planner (scans -> reminder rows) · windows (quiet hours, grace) · caps (1 a day, 3 a week)
· message (the text) · rhythm (next scan from the rescan rhythm) · dispatcher (claim,
send, record, reconcile) · pacer (messages per second) · backoff (retry delays) · clock
(the tick, APScheduler) · leader (which clock leads) · cli (`flask reminders ...`).
"""
