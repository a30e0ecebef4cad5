"""The processing activities (verwerkingsactiviteiten) of the LVV case system.

Every access-log row names one (``AccessLogEntry.processing_activity``), chosen from the
kind of object it is about; the register page (``/privacy/verwerkingsactiviteiten/``) lists
them per LVV with their purpose, legal basis and controller.

The legal basis is the mandate: the municipal executives act under the State Secretary's
legal task (Vreemdelingenwet 2000), which is why the State Secretary is the controller and
why LVV data is kept apart from the municipality's other data flows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from lvv.audit.models import AccessAction

LEGAL_BASIS = _(
    "Art. 6 lid 1 sub e AVG (taak van algemeen belang): de wettelijke taak van de staatssecretaris van "
    "Justitie en Veiligheid uit de Vreemdelingenwet 2000, door het college van burgemeester en wethouders "
    "in mandaat uitgevoerd (mandaatbesluit LVV)."
)
SPECIAL_BASIS = _(
    "Voor gezondheidsgegevens en andere bijzondere persoonsgegevens daarnaast art. 9 lid 2 sub g AVG en "
    "art. 23 en 30 UAVG; alleen zichtbaar voor medewerkers met de extra autorisatie."
)
CONTROLLER = _("De staatssecretaris van Justitie en Veiligheid")
MANDATED = _("in mandaat uitgevoerd door het college van burgemeester en wethouders van %(municipality)s")


@dataclass(frozen=True)
class Activity:
    id: str
    name: str
    purpose: str
    data: str
    recipients: str
    per_lvv: bool = True  # carried out by each LVV's municipality under the mandate


ACTIVITIES: tuple[Activity, ...] = (
    Activity(
        "lvv.casusregie",
        _("Casusregie LVV"),
        _("Opvang en begeleiding van vreemdelingen zonder verblijfsrecht naar een duurzame oplossing."),
        _(
            "Identiteit en V-nummer, traject, toetsen, scenario, procedures, vertrekvoorbereiding, journaal "
            "en documenten; gezondheid en andere bijzondere persoonsgegevens waar nodig."
        ),
        _("De ketenpartners van de LVV: gemeente, ngo, IND en DT&V, elk alleen voor hun eigen taak."),
    ),
    Activity(
        "lvv.lso",
        _("Lokaal Stuurgroepoverleg (LSO)"),
        _("Gezamenlijke bespreking van casussen door de ketenpartners en afspraken over de voortgang."),
        _("Agenda, besluiten, acties en verslagen over de besproken casussen."),
        _("De deelnemers aan het LSO van de LVV."),
    ),
    Activity(
        "lvv.mrt",
        _("Multidisciplinair Review Team (MRT)"),
        _("Advies aan het LSO over casussen waarin de partners niet verder komen."),
        _("Voorleggingen, zittingen en adviezen over de casus."),
        _("Het MRT en het LSO van de LVV."),
    ),
    Activity(
        "lvv.monitor",
        _("Landelijke monitor"),
        _("Verantwoording over de LVV's met geaggregeerde cijfers; nooit gegevens van één persoon."),
        _("Tellingen per LVV en peildatum, met onderdrukking van kleine aantallen."),
        _("Het programmabureau en de ketenpartners."),
        per_lvv=False,
    ),
    Activity(
        "lvv.toegang",
        _("Toegangsbeheer en beveiliging"),
        _("Inloggen, rechten en de beveiliging van het systeem (BIO)."),
        _("Accounts, rollen, inlogpogingen en het toegangslog."),
        _("Functioneel beheer en de privacyfunctionaris."),
        per_lvv=False,
    ),
)
BY_ID = {activity.id: activity for activity in ACTIVITIES}

# Which activity a row belongs to, by the app of the object it is about.
_BY_APP = {
    "cases": "lvv.casusregie",
    "procedures": "lvv.casusregie",
    "lso": "lvv.lso",
    "mrt": "lvv.mrt",
    "monitor": "lvv.monitor",
    "accounts": "lvv.toegang",
    "audit": "lvv.toegang",
}
_ACCESS_ACTIONS = {AccessAction.LOGIN, AccessAction.LOGIN_FAILED, AccessAction.LOGOUT}
DEFAULT = "lvv.casusregie"


def activity_for(object_type: str, action: str) -> str:
    """The processing activity of a row about ``object_type`` (``app.model``)."""
    if action in _ACCESS_ACTIONS:
        return "lvv.toegang"
    return _BY_APP.get(object_type.partition(".")[0], DEFAULT)
