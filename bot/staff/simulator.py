"""/staff/simulator: staff text as a pretend patient and see what the bot would answer,
and why. The conversation lives in the staff member's session only: nothing is sent and
nothing is written to the database (bot.conversation.simulator)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from bot.conversation import simulator as sim
from bot.models import utcnow
from bot.staff import bp
from bot.staff.forms import SimulatorResetForm, SimulatorTextForm

KEY = "simulator"


def _state() -> dict:
    state = session.get(KEY)
    return state if isinstance(state, dict) and "turns" in state else sim.fresh()


@bp.get("/simulator")
def simulator() -> str:
    state = _state()
    reset = SimulatorResetForm(
        start_as=state["status"] or sim.NOT_ENROLLED, language=state["language"] or ""
    )
    return render_template(
        "staff/simulator.html", state=state, form=SimulatorTextForm(), reset=reset
    )


@bp.post("/simulator")
def simulator_text() -> Response:
    form = SimulatorTextForm()
    if not form.validate():
        flash("Type a text first (at most 480 characters).", "error")
    else:
        tz = current_app.config["DEFAULT_TIMEZONE"]
        session[KEY] = sim.text(_state(), form.body.data, utcnow(), tz)
    return redirect(url_for("staff.simulator", _anchor="phone-end"))


@bp.post("/simulator/reset")
def simulator_reset() -> Response:
    form = SimulatorResetForm()
    if form.validate():
        session[KEY] = sim.fresh(form.start_as.data, form.language.data or None)
        flash("Simulator reset: a new pretend patient.")
    return redirect(url_for("staff.simulator"))
