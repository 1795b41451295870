"""The console's forms. Each is a FlaskForm, so each carries and checks a CSRF token.

The JSON API authenticates with bearer keys, so there is no app-wide CSRFProtect;
every console POST goes through one of these forms instead.
"""

from __future__ import annotations

from flask import abort
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..models import ROLES


def _role_choices() -> list:
    try:
        from wtforms import SelectChoice  # WTForms 3.3+, where (value, label) tuples are deprecated
    except ImportError:
        return [(role, role.capitalize()) for role in ROLES]
    return [SelectChoice(role, role.capitalize()) for role in ROLES]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


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


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)],
                       render_kw={"placeholder": "e.g. CRM sync", "autocomplete": "off"})
    role = SelectField("Role", choices=_role_choices(), default="viewer")


class RevokeApiKeyForm(FlaskForm):
    """Only the CSRF token; the key's id is in the URL."""


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
