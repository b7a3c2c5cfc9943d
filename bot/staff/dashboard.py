"""/staff/dashboard: how the service is doing, for a date range; a CSV of each table.
The numbers come from bot.reports; this module only reads the filter and renders."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, abort, current_app, flash, render_template, request

from bot import reports
from bot.extensions import db
from bot.models import utcnow
from bot.patients.record import spreadsheet_cell
from bot.staff import audit, bp, charts


def _period() -> reports.Period:
    """The range asked for (start/end, local days); the last 30 days when absent or wrong."""
    tz = current_app.config["DEFAULT_TIMEZONE"]
    default = reports.Period.last_days(utcnow(), tz)
    raw_start, raw_end = request.args.get("start", ""), request.args.get("end", "")
    if not raw_start and not raw_end:
        return default
    try:
        start = date.fromisoformat(raw_start) if raw_start else default.start
        end = date.fromisoformat(raw_end) if raw_end else default.end
    except ValueError:
        flash("Dates must be like 2026-03-14: showing the last 30 days.", "error")
        return default
    if end < start or (end - start).days >= reports.MAX_DAYS:
        flash(
            f"Pick an end after the start, at most {reports.MAX_DAYS} days: showing the last"
            " 30 days.",
            "error",
        )
        return default
    return reports.Period(start, end, tz)


def _tables(period: reports.Period) -> dict[str, reports.Table]:
    hours = current_app.config["STAFF_FLAG_OVERDUE_HOURS"]
    found = [
        reports.texts_in_by_topic(period),
        reports.reminders_by_outcome(period),
        reports.consent_changes(period),
        reports.open_flags_by_age(utcnow(), hours),
        reports.time_to_handle(period),
    ]
    return {t.name: t for t in found}


@bp.get("/dashboard")
def dashboard() -> str:
    period = _period()
    tables = _tables(period)
    stacked = {"texts_in": True, "reminders": False, "consent": False, "open_flags": True}
    drawn = {
        name: (
            charts.bar_chart(tables[name], tables[name].title, stack),
            charts.legend(tables[name]),
        )
        for name, stack in stacked.items()
    }
    return render_template(
        "staff/dashboard.html",
        period=period,
        tables=tables,
        drawn=drawn,
        totals={n: reports.totals(tables[n]) for n in ("texts_in", "reminders", "consent")},
    )


@bp.get("/dashboard/<name>.csv")
def dashboard_csv(name: str) -> Response:
    period = _period()
    table = _tables(period).get(name)
    if table is None:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows([spreadsheet_cell(v) for v in row] for row in table.rows)
    audit.record("dashboard.export", "", f"{name} {period.start}..{period.end}")
    db.session.commit()
    filename = f"nextsteps-{name}-{period.start}-{period.end}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
