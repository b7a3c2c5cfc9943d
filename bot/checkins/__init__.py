"""Weekly symptom check-ins: questions one at a time, graded answers, escalation.

grading.py (pure: read an answer, grade it, escalate), conversation.py (pure: one turn of
the conversation), store.py (the database: open, apply a turn, close missed), schedule.py
(weekly time, caps and quiet hours; the clock starts them), history.py (what staff and
the CLI read).
"""
