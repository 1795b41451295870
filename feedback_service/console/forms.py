"""The console's forms. Each is a FlaskForm, so each carries and checks a CSRF token.

The JSON API authenticates with bearer keys, so there is no app-wide CSRFProtect;
every console POST goes through one of these forms instead.
"""

from __future__ import annotations

from flask import abort
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FloatField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, NumberRange, Optional

from ..models import ALERT_KINDS, FOLLOW_UP_POLICIES, PRIORITIES, ROLES, STATUSES
from . import formatting


def _choices(pairs) -> list:
    """(value, label) pairs as the installed WTForms wants them."""
    try:
        from wtforms import SelectChoice  # WTForms 3.3+, where (value, label) tuples are deprecated
    except ImportError:
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


def _grouped(loose, groups: dict):
    """Options outside any group, then ``<optgroup>``s: {group label: (value, label) pairs}."""
    try:
        from wtforms import SelectChoice
    except ImportError:
        return {"": list(loose), **{name: list(pairs) for name, pairs in groups.items()}}
    return [*(SelectChoice(value, label) for value, label in loose),
            *(SelectChoice(value, label, optgroup=name) for name, pairs in groups.items() for value, label in pairs)]


def _role_choices() -> list:
    return _choices((role, role.capitalize()) for role in ROLES)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class DigestPreferenceForm(FlaskForm):
    """Anyone's own choice: the daily digest of the follow-ups they own."""

    digest_enabled = BooleanField("Email me a daily digest of my follow-ups")


class LogoutForm(FlaskForm):
    """Only the CSRF token: signing out is a POST no other site can make."""


class EmailLinksForm(FlaskForm):
    customer_email = EmailField("Customer email", validators=[Optional(), Email(), Length(max=320)],
                                render_kw={"autocomplete": "off", "placeholder": "ada@example.com"})
    customer_id = StringField("or your customer id", validators=[Optional(), Length(max=200)],
                              render_kw={"autocomplete": "off", "placeholder": "cust-0001"})

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not (self.customer_email.data or self.customer_id.data):
            self.customer_email.errors.append("Enter the customer's email or your id for them.")
            return False
        return True


class FollowUpPolicyForm(FlaskForm):
    follow_up_policy = SelectField("Open a follow-up for", choices=_choices(
        (policy, formatting.follow_up_policy(policy)) for policy in FOLLOW_UP_POLICIES))


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)],
                       render_kw={"placeholder": "e.g. CRM sync", "autocomplete": "off"})
    role = SelectField("Role", choices=_role_choices(), default="viewer")


class RevokeApiKeyForm(FlaskForm):
    """Only the CSRF token; the key's id is in the URL."""


# ---- Follow-ups -------------------------------------------------------------------

class InboxFilterForm(FlaskForm):
    """The inbox's filters: a GET form whose values live in the URL, so it carries no CSRF token
    (it changes nothing, and a token in a URL would leak through history and logs)."""

    class Meta:
        csrf = False

    status = SelectField("Status", default="open")
    priority = SelectField("Priority", default="")
    owner = SelectField("Owner", default="")
    team = SelectField("Team", default="")
    touchpoint = SelectField("Touchpoint", default="")
    overdue = BooleanField("Overdue only")

    STATUS_CHOICES = [("open", "Open (not closed)"), *((s, formatting.status(s)) for s in STATUSES),
                      ("closed", "Closed (resolved or no action)"), ("all", "All")]

    def fill_choices(self, options: dict) -> None:
        self.status.choices = _choices(self.STATUS_CHOICES)
        self.priority.choices = _choices([("", "Any priority"), *((p, formatting.priority(p)) for p in PRIORITIES)])
        self.owner.choices = _choices([("", "Any owner"), ("mine", "Mine"), ("unassigned", "Unassigned"),
                                       *((str(u.id), (u.name or u.email) + ("" if u.is_active else " (deactivated)"))
                                         for u in options["owners"])])
        self.team.choices = _choices([("", "Any team"), *((str(t.id), t.name) for t in options["teams"])])
        by_journey: dict = {}
        for touchpoint in options["touchpoints"]:
            label = touchpoint.name + (" (archived)" if touchpoint.archived_at else "")
            by_journey.setdefault(touchpoint.journey.name, []).append((str(touchpoint.id), label))
        self.touchpoint.choices = _grouped([("", "Any touchpoint")], by_journey)

    def clean(self) -> None:
        """Check the values against the choices; an unknown one falls back to its default."""
        self.validate()
        for name in ("status", "priority", "owner", "team", "touchpoint"):
            if self[name].errors:
                self[name].data = self[name].default
                self[name].errors = []


class TransitionForm(FlaskForm):
    # Set by the button pressed; any status passes here, the service decides which moves are allowed now.
    status = StringField("Status", validators=[DataRequired(), AnyOf(STATUSES)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=5000)],
                         render_kw={"rows": 3, "placeholder": "What was done, or why nothing needs doing"})
    root_cause = SelectField("Root cause", validate_choice=False, default="")
    new_root_cause = StringField("Or a new root cause", validators=[Optional(), Length(max=200)],
                                 render_kw={"autocomplete": "off", "placeholder": "e.g. Courier delay"})

    def fill_choices(self, root_causes: list[str]) -> None:
        self.root_cause.choices = _choices([("", "Choose…"), *((cause, cause) for cause in root_causes)])

    def chosen_root_cause(self) -> str | None:
        """New text wins over the list: typing one is the more deliberate act."""
        return (self.new_root_cause.data or "").strip() or (self.root_cause.data or "").strip() or None


class AssignForm(FlaskForm):
    # Any number passes here; the service refuses people who cannot own follow-ups.
    owner_id = SelectField("Assign to", coerce=int, validate_choice=False, validators=[InputRequired()])

    def fill_choices(self, team_name: str | None, team_staff: list, other_staff: list) -> None:
        def pairs(people):
            return [(person.id, person.name or person.email) for person in people]

        if team_staff:
            self.owner_id.choices = _grouped([], {f"{team_name} team": pairs(team_staff),
                                                  "Everyone else": pairs(other_staff)})
        else:
            self.owner_id.choices = _choices(pairs(other_staff))


class NoteForm(FlaskForm):
    body = TextAreaField("Note", validators=[DataRequired(message="Write the note first."), Length(max=5000)],
                         render_kw={"rows": 3, "placeholder": "Only staff see notes"})


class ReplyForm(FlaskForm):
    message = TextAreaField("Message", validators=[DataRequired(message="Write the reply first."),
                                                   Length(max=10000)],
                            render_kw={"rows": 5, "placeholder": "You said …, so we …"})


# ---- Alerts -----------------------------------------------------------------------

ALERT_KIND_LABELS = {"below_threshold": "Headline below a line", "drop": "Sudden drop (points)",
                     "negative_surge": "Surge of negative comments (%)"}


class AlertRuleForm(FlaskForm):
    # Any touchpoint id passes here; the service refuses one that is not the organisation's.
    touchpoint_id = SelectField("Touchpoint", coerce=int, validate_choice=False, validators=[InputRequired()])
    kind = SelectField("Watch for", choices=_choices((kind, ALERT_KIND_LABELS[kind]) for kind in ALERT_KINDS))
    threshold = FloatField("Threshold", validators=[InputRequired(message="Enter the threshold.")],
                           render_kw={"step": "any", "inputmode": "decimal", "placeholder": "e.g. 60"})
    window_hours = IntegerField("Window (hours)", default=24,
                                validators=[InputRequired(), NumberRange(1, 2160, message="From 1 to 2160 hours.")])
    min_n = IntegerField("At least (answers)", default=30,
                         validators=[InputRequired(), NumberRange(1, 100_000, message="At least 1.")])

    def fill_choices(self, touchpoints: list) -> None:
        by_journey: dict = {}
        for touchpoint in touchpoints:
            by_journey.setdefault(touchpoint.journey.name, []).append((touchpoint.id, touchpoint.name))
        self.touchpoint_id.choices = _grouped([], by_journey)


class AlertRuleActionForm(FlaskForm):
    """Only the CSRF token: the rule's id and the action are in the URL."""


def csrf_failed(form: FlaskForm) -> bool:
    """After validation: was the CSRF token missing, wrong or expired?"""
    return bool(form.errors.get("csrf_token"))


def check_csrf(form: FlaskForm) -> bool:
    """Validate a submitted form; a missing or wrong CSRF token is a 400, not a form error."""
    valid = form.validate_on_submit()
    if not valid and csrf_failed(form):
        abort(400, description="This form has expired or did not come from this site. "
                               "Go back, reload the page and try again.")
    return valid
