from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.db import transaction
from django.template import loader
from django.utils.translation import gettext_lazy as _

from lvv.accounts.tasks import send_email
from lvv.forms import StyledFormMixin

TOKEN_INVALID = _("Deze code klopt niet of is verlopen. Probeer de nieuwste code uit uw app.")


class LoginForm(StyledFormMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Gebruikersnaam of wachtwoord klopt niet. Na herhaalde pogingen wordt het account tijdelijk geblokkeerd."
        ),
        "inactive": _("Dit account is niet actief."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Gebruikersnaam")
        self.fields["password"].label = _("Wachtwoord")


class StyledPasswordResetForm(StyledFormMixin, PasswordResetForm):
    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        """Render here, send through Celery once the request's transaction has committed."""
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        transaction.on_commit(lambda: send_email.delay(subject=subject, body=body, to=[to_email]))


class StyledSetPasswordForm(StyledFormMixin, SetPasswordForm):
    pass


class TokenForm(StyledFormMixin, forms.Form):
    token = forms.CharField(
        label=_("Code uit uw authenticator-app"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}),
    )

    def __init__(self, *args, device=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_token(self):
        token = self.cleaned_data["token"].strip()
        if self.device is None or not self.device.verify_token(token):
            raise forms.ValidationError(TOKEN_INVALID, code="invalid_token")
        return token


class ApiTokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Omschrijving (niet verplicht)"),
        help_text=_("Waarvoor u het token gebruikt, bijvoorbeeld de naam van een script."),
        max_length=100,
        required=False,
    )
