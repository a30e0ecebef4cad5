"""``manage.py drf_create_token USERNAME [--name TEXT]``: issue an API token and print its key.

The name is DRF's, kept so that scripts and the API contract stay the same; the token
behind it is a hashed, expiring django-rest-knox token (``lvv.accounts.tokens``). The key
goes to standard output alone (``TOKEN=$(python manage.py drf_create_token NAME)``), the
expiry to standard error. Every run issues a new token; revoke old ones on the token page
or in the admin.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from lvv.access import policy
from lvv.accounts import tokens
from lvv.audit.log import COMMAND


class Command(BaseCommand):
    help = "Maak een API-token voor een gebruiker en toon de sleutel (één keer; alleen een hash wordt bewaard)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="gebruikersnaam")
        parser.add_argument(
            "--name", default="", help="omschrijving van het token, bijvoorbeeld de naam van een script"
        )
        # DRF's command had -r/--reset to replace the one token a user had; every run makes a new one now.
        parser.add_argument(
            "-r", "--reset", action="store_true", help="(zonder effect: elke aanroep maakt een nieuw token)"
        )

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Gebruiker %(username)s bestaat niet.") % {"username": username})
        if not user.is_active:
            raise CommandError(_("Gebruiker %(username)s is niet actief.") % {"username": username})
        token, key = tokens.issue(user, origin=COMMAND, name=name or "drf_create_token", actor=policy.SYSTEM)
        self.stdout.write(key)
        expiry = timezone.localtime(token.expiry).strftime("%Y-%m-%d %H:%M %Z")
        self.stderr.write(_("Geldig tot %(expiry)s.") % {"expiry": expiry})
