"""The clock process only: on each tick, drive the reminder domain (bot.reminders) and send
what is due. clock (the tick, APScheduler) · leader (which clock leads) · dispatcher
(claim, send, record, reconcile) · pacer (messages per second) · backoff (retry delays).
Planning lives in bot.reminders; this package uses bot, never the other way round.
"""
