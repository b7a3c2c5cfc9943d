"""The console's forms. Every one is a FlaskForm, so every POST carries a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from bot.checkins.schedule import WEEKDAYS
from bot.reminders.scans import SCAN_KINDS
from bot.staff.accounts import MIN_PASSWORD_LENGTH
from bot.staff.intake import COMMON_TIMEZONES, MAX_RHYTHM_WEEKS

OTHER_ZONE = "other"
_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> posts


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class PatientDetailsForm(FlaskForm):
    """The details staff set at enrolment and may edit later (the number is not one)."""

    display_name = StringField(
        "Name or initials",
        validators=[Optional(), Length(max=80)],
        description="The minimum staff need to recognise the patient, e.g. initials.",
    )
    timezone = SelectField(
        "Time zone",
        choices=[*COMMON_TIMEZONES, OTHER_ZONE],
    )
    timezone_other = StringField(
        "Other time zone", validators=[Optional(), Length(max=64)], description="e.g. America/Boise"
    )
    language = SelectField(
        "Language",
        choices=[
            SelectChoice("", "Not known: ask in both"),
            SelectChoice("en", "English"),
            SelectChoice("es", "Spanish (espanol)"),
        ],
        description="Texts go in this language; the patient can switch by texting ESPANOL or"
        " ENGLISH.",
    )
    discreet = BooleanField(
        "Discreet mode", description="Reminders don't say 'scan' or 'cancer' on the lock screen."
    )

    def chosen_timezone(self) -> str:
        if self.timezone.data == OTHER_ZONE:
            return (self.timezone_other.data or "").strip()
        return self.timezone.data


class EnrollForm(PatientDetailsForm):
    phone = StringField("Mobile number", validators=[DataRequired(), Length(max=40)])
    scan_at = DateTimeLocalField(
        "Next scan (patient's local time)", format=_LOCAL_FORMAT, validators=[Optional()]
    )
    scan_kind = SelectField("Scan type", choices=list(SCAN_KINDS))
    treatment_start = DateField("Treatment start", validators=[Optional()])
    rhythm_first_weeks = IntegerField(
        "First scan after (weeks)",
        validators=[Optional(), NumberRange(1, MAX_RHYTHM_WEEKS)],
    )
    rhythm_every_weeks = IntegerField(
        "Then every (weeks)", validators=[Optional(), NumberRange(1, MAX_RHYTHM_WEEKS)]
    )


class ScanForm(FlaskForm):
    scan_at = DateTimeLocalField(
        "Date and time (patient's local time)", format=_LOCAL_FORMAT, validators=[InputRequired()]
    )
    kind = SelectField("Type", choices=list(SCAN_KINDS))


class MoveScanForm(FlaskForm):
    scan_at = DateTimeLocalField(
        "New date and time", format=_LOCAL_FORMAT, validators=[InputRequired()]
    )


class EraseForm(FlaskForm):
    confirm = StringField("Type ERASE to confirm", validators=[DataRequired(), Length(max=10)])

    def validate_confirm(self, field: StringField) -> None:
        if (field.data or "").strip() != "ERASE":
            raise ValidationError("Type ERASE (capitals) to confirm.")


class HandleForm(FlaskForm):
    note = TextAreaField(
        "What was done", validators=[DataRequired(), Length(max=1000)], render_kw={"rows": 2}
    )


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired()])


class StaffUserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Password",
        # The length rule lives in accounts.check_new_password (shared with the CLI).
        validators=[DataRequired(), Length(max=1024)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )
    confirm = PasswordField(
        "Password again", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    is_admin = BooleanField("Admin (manages staff, sees the audit log)")


class EditPatientForm(PatientDetailsForm):
    """A patient's details after enrolment (the number is their identity: not here)."""


class StaffTextForm(FlaskForm):
    # Twilio's own limit; the real one (2 segments) is checked by bot.sms.segments.
    body = TextAreaField(
        "Text to the patient",
        validators=[DataRequired(), Length(max=1600)],
        render_kw={"rows": 3},
    )
    # Set by the confirmation page: staff saw the warnings (quiet hours, cost) and still send.
    confirmed = BooleanField("Send anyway")
    back = StringField("Back to")  # "inbox" or the patient page


class SimulatorTextForm(FlaskForm):
    body = StringField("Text as the patient", validators=[DataRequired(), Length(max=480)])


class SimulatorResetForm(FlaskForm):
    start_as = SelectField(
        "Start as",
        choices=[
            SelectChoice("active", "An active patient (said YES)"),
            SelectChoice("pending", "Invited, has not said YES yet"),
            SelectChoice("not_enrolled", "A number that is not enrolled"),
        ],
    )
    language = SelectField(
        "Language known",
        choices=[
            SelectChoice("", "Not known yet"),
            SelectChoice("en", "English"),
            SelectChoice("es", "Spanish"),
        ],
    )


class CheckinForm(FlaskForm):
    """The weekly symptom check-in: on or off, the patient's local day and time."""

    enabled = BooleanField("Weekly check-in on")
    day = SelectField(
        "Day",
        choices=[
            SelectChoice(d, n)
            for d, n in zip(
                WEEKDAYS,
                ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                strict=True,
            )
        ],
    )
    time = StringField(
        "Time (patient's local)",
        validators=[DataRequired(), Regexp(r"^\d{1,2}:\d{2}$", message="HH:MM")],
        default="10:00",
    )
