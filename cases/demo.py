"""Fictional persons and cases for the demo (registered with lvv.demo).

Every case is walked through the trajectory with the real services (as ``policy.SYSTEM``,
from the command line), on dates in the past relative to today, so that the records, the
timeline, the deadlines and the access log are what real steps would have produced. The
cases are spread over every stage: registered, rejected, waiting list, admitted, in
shelter with a partial or complete dossier, rest period running and ended, scenario set
(both directions, some changed), cooperation checks (some insufficient), MRT discussions,
and outflow of several categories (durable ones partly confirmed by the IND or DT&V).
Some deadlines are overdue, some due soon.

Deterministic: one ``random.Random`` with a fixed seed; every value is drawn for every
case, also for cases that already exist, so the sequence never shifts. Idempotent: a case
whose external id exists is skipped; each new case is created and walked in one transaction.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from cases import inboxes, notifications, services
from cases.models import MRT_NO_DURABLE_SOLUTION, Case, CaseType, Notification, OwnerRole, ShelterForm
from cases.workflow import State
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role, User
from lvv.audit.log import COMMAND
from lvv.demo import PILOT_START, DemoContext

# Fictional names per nationality (ISO 3166-1 alpha-2); combinations are made up.
NAMES = {
    "ER": (["Abel", "Semere", "Yonas", "Helen", "Senait", "Tesfay"], ["Tesfamariam", "Gebremedhin", "Haile", "Kidane"]),
    "NG": (["Chinedu", "Amaka", "Emeka", "Ngozi", "Tunde"], ["Okafor", "Adeyemi", "Eze", "Nwosu"]),
    "MA": (["Youssef", "Fatima", "Karim", "Samira", "Hicham"], ["El Amrani", "Benali", "Ouazzani", "Tahiri"]),
    "DZ": (["Amine", "Nadia", "Sofiane", "Lamia"], ["Boudiaf", "Haddad", "Mebarki"]),
    "IQ": (["Ali", "Zainab", "Mustafa", "Noor"], ["Al-Hashimi", "Jaber", "Kareem"]),
    "AF": (["Ahmad", "Farida", "Hamid", "Mariam"], ["Rahimi", "Sultani", "Nazari"]),
    "GE": (["Giorgi", "Nino", "Levan", "Tamar"], ["Beridze", "Kapanadze", "Lomidze"]),
    "SO": (["Abdi", "Hodan", "Mohamed", "Ifrah"], ["Warsame", "Farah", "Osman"]),
    "GN": (["Mamadou", "Aissatou", "Ibrahima"], ["Diallo", "Bah", "Camara"]),
    "SY": (["Omar", "Rana", "Khaled", "Lina"], ["Haddad", "Darwish", "Khoury"]),
}
SAFE_COUNTRIES = {"MA", "DZ", "GE"}
ONWARD_COUNTRIES = ["DE", "BE", "FR", "IT", "ES", "SE"]
RESIDENCE_ROUTES = ["new_asylum_application", "no_fault_permit", "medical", "regular"]
REJECTION_GROUNDS = {
    "entry_ban": "Zwaar inreisverbod (tien jaar of meer).",
    "eu_citizen": "EU-burger: valt buiten de doelgroep.",
    "dublin_claimant": "Dublinclaimant: een andere lidstaat is verantwoordelijk.",
    "prior_provision": "Recht op een voorliggende voorziening (gezinslocatie COA).",
}
REJECTION_NO_TIES = "Geen aantoonbare regiobinding."
REVIEW_NOTE = "Herbeoordeeld in het LSO: het scenario blijft staan."
INSUFFICIENT_NOTE = "Komt afspraken niet na; geen inspanningen voor vertrek of verblijf."

# The stages, in the order that the first cases get them (so that even a handful of demo
# cases covers every state), then weights for the rest.
STAGES: dict[str, int] = {
    "registered": 3,
    "sheltered_partial_dossier": 4,
    "outflow_departure_origin_confirmed": 3,
    "rejected": 2,
    "waitlisted": 2,
    "admitted": 2,
    "rest_period_running": 4,
    "rest_period_ended": 3,
    "scenario_departure": 5,
    "scenario_residence": 4,
    "scenario_changed": 2,
    "cooperation_insufficient": 2,
    "mrt_discussed": 2,
    "outflow_residence_granted_confirmed": 2,
    "outflow_onward_migration": 2,
    "outflow_asylum_centre": 1,
    "outflow_unknown_destination": 2,
    "outflow_back_to_bbb": 1,
    "outflow_forced_termination": 1,
    "outflow_postponement_art64": 1,
}


@dataclass
class Plan:
    """The steps of one case: (service name, keyword arguments with the date ``on``)."""

    registered_on: datetime.date
    today: datetime.date
    steps: list[tuple[datetime.date, int, str, dict]] = field(default_factory=list)
    case_types: list[str] = field(default_factory=list)
    last: datetime.date | None = None

    def add(self, name: str, on: datetime.date, **kwargs) -> datetime.date:
        """Plan a step on ``on``, kept between the registration and today."""
        on = max(min(on, self.today), self.registered_on)
        self.steps.append((on, len(self.steps), name, {"on": on, **kwargs}))
        self.last = on
        return on

    def ordered(self) -> list[tuple[str, dict]]:
        """The steps by date; steps on one date in the order they were planned."""
        return [(name, kwargs) for _on, _seq, name, kwargs in sorted(self.steps, key=lambda s: s[:2])]


class Draw:
    """The random source of one case: its own generator, seeded by one draw from the demo's,
    so that every case takes the same number of draws from the demo's sequence."""

    def __init__(self, rng: random.Random, today: datetime.date):
        self.rng = random.Random(rng.getrandbits(64))
        self.today = today

    def next(self) -> float:
        return self.rng.random()

    def days(self, low: int, high: int) -> int:
        return low + int(self.next() * (high - low + 1))

    def ago(self, low: int, high: int) -> datetime.date:
        return max(PILOT_START, self.today - datetime.timedelta(days=self.days(low, high)))

    def chance(self, p: float) -> bool:
        return self.next() < p

    def pick(self, options):
        return options[int(self.next() * len(options)) % len(options)]


def _d(days: int) -> datetime.timedelta:
    return datetime.timedelta(days=days)


def _admission(plan: Plan, draw: Draw, on: datetime.date) -> datetime.date:
    """Admission check and admission; now and then an exception on humanitarian grounds."""
    exception = draw.chance(0.08)
    on = plan.add(
        "record_admission_check",
        on,
        regional_ties=not exception,
        shown_willingness=True,
        notes="Intake met tolk." if draw.chance(0.5) else "",
    )
    if exception:
        return plan.add(
            "admit",
            on + _d(draw.days(0, 3)),
            exception="humanitarian",
            exception_reason="Ernstige medische problematiek; opvang is noodzakelijk.",
            waitlist_when_full=False,
        )
    return plan.add("admit", on + _d(draw.days(0, 3)), waitlist_when_full=False)


def _dossier(plan: Plan, draw: Draw, requested: datetime.date, *, dtv_on: datetime.date | None) -> datetime.date:
    plan.add("request_dossier", requested)
    ind = plan.add("deliver_dossier_part", requested + _d(draw.days(4, 12)), kind="IND")
    if dtv_on is None:
        return ind
    return plan.add("deliver_dossier_part", max(dtv_on, ind), kind="DTV")


def _checks(plan: Plan, draw: Draw, start: datetime.date, until: datetime.date, *, insufficient_last=False):
    """Cooperation checks every five to seven weeks from ``start`` up to ``until``."""
    day = start + _d(draw.days(35, 49))
    checks = []
    while day <= until:
        checks.append(day)
        day += _d(draw.days(35, 49))
    for n, on in enumerate(checks):
        last = n == len(checks) - 1
        result = "insufficient" if last and insufficient_last else "sufficient"
        notes = INSUFFICIENT_NOTE if result == "insufficient" else ""
        plan.add("record_cooperation_check", on, result=result, notes=notes)


def _scenario(plan: Plan, draw: Draw, on: datetime.date, direction: str, notes: str | None = None) -> datetime.date:
    route = "return_to_origin" if direction == "departure" else draw.pick(RESIDENCE_ROUTES)
    if direction == "departure" and draw.chance(0.25):
        route = "onward_migration"
    if notes is None:
        notes = "Vastgesteld in het LSO." if draw.chance(0.6) else ""
    return plan.add("set_scenario", on, direction=direction, route=route, notes=notes)


# How long ago a case was registered, by stage (days); other open cases 120 to 450 days.
REGISTERED_AGO = {
    "registered": (1, 20),
    "rejected": (20, 500),
    "waitlisted": (4, 15),
    "admitted": (3, 12),
    "sheltered_partial_dossier": (32, 60),
    "rest_period_running": (22, 40),
    "rest_period_ended": (60, 110),
    "cooperation_insufficient": (150, 400),
    "mrt_discussed": (200, 500),
}
# The stages before the dossier is complete: when the DT&V delivers its part (days ago,
# None: overdue) and whether cooperation checks have begun.
EARLY_STAGES: dict[str, tuple[tuple[int, int] | None, bool]] = {
    "sheltered_partial_dossier": (None, False),
    "rest_period_running": ((1, 12), False),
    "rest_period_ended": ((16, 40), True),
}
# The chance of each case type (the safe country type only for a safe country's national).
CASE_TYPE_CHANCES = (
    (CaseType.MEDICAL, 0.25),
    (CaseType.PSYCHOLOGICAL, 0.2),
    (CaseType.REPEAT_ASYLUM, 0.2),
    (CaseType.IDENTITY_UNCLEAR, 0.1),
)


def build_plan(stage: str, draw: Draw, *, nationality: str, pilot) -> Plan:
    """The steps that bring a new case to ``stage`` (dates relative to today). The draws are
    taken in one fixed order, so the demo is the same every time."""
    form = (
        ShelterForm.LIVING_ALLOWANCE
        if pilot.voluntary_participation
        else draw.pick([ShelterForm.FULL_DAY, ShelterForm.FULL_DAY, ShelterForm.NIGHT])
    )
    plan = Plan(registered_on=_registered_on(stage, draw), today=draw.today)
    plan.case_types = _case_types(draw, nationality)
    start = plan.registered_on + _d(draw.days(1, 5))
    if stage in ("registered", "rejected"):
        _not_admitted(plan, draw, stage, start, willingness=pilot.requires_shown_willingness)
        return plan
    admitted = _admission(plan, draw, start)
    if stage == "waitlisted":  # admitted, on the one waiting list until a place is offered
        return plan
    if stage == "admitted":
        plan.add("request_dossier", admitted)
        return plan
    sheltered = plan.add("start_shelter", admitted + _d(draw.days(0, 4)), form=form, enforce_capacity=False)
    requested = sheltered + _d(draw.days(0, 3))
    if stage in EARLY_STAGES:
        dtv_ago, checked = EARLY_STAGES[stage]
        _dossier(plan, draw, requested, dtv_on=draw.today - _d(draw.days(*dtv_ago)) if dtv_ago else None)
        if checked:
            _checks(plan, draw, sheltered, draw.today)
        return plan

    # From here on the dossier came in the first weeks and the LSO set a scenario.
    complete = _dossier(plan, draw, requested, dtv_on=requested + _d(draw.days(10, 20)))
    scenario_on = complete + _d(draw.days(14, 35))
    first = _first_direction(stage, draw)
    scenario_on = _scenario(plan, draw, scenario_on, first)
    if stage.startswith("outflow_"):
        _outflow(plan, draw, stage, sheltered=sheltered, scenario_on=scenario_on, nationality=nationality, pilot=pilot)
    else:
        _open_trajectory(plan, draw, stage, sheltered=sheltered, scenario_on=scenario_on, first=first)
    return plan


def _registered_on(stage: str, draw: Draw) -> datetime.date:
    closed = stage.startswith("outflow_")
    low, high = REGISTERED_AGO.get(stage, (250, 700) if closed else (120, 450))
    registered = draw.ago(low, high)
    if closed:  # closed cases anywhere since the pilots started, at least 400 days ago
        latest = (draw.today - _d(400) - PILOT_START).days
        registered = PILOT_START + _d(int(draw.next() * max(latest, 1)))
    return registered


def _case_types(draw: Draw, nationality: str) -> list[str]:
    case_types = [case_type for case_type, chance in CASE_TYPE_CHANCES if draw.chance(chance)]
    if nationality in SAFE_COUNTRIES and draw.chance(0.6):
        case_types.append(CaseType.SAFE_COUNTRY)
    return sorted(case_types)


def _not_admitted(plan: Plan, draw: Draw, stage: str, start: datetime.date, *, willingness: bool) -> None:
    """A registration still waiting for the admission check (``registered``) or rejected."""
    if stage == "registered":
        if draw.chance(0.5):
            plan.add("record_admission_check", start, regional_ties=True, shown_willingness=willingness)
        return
    ground = draw.pick(sorted(REJECTION_GROUNDS))
    if draw.chance(0.3):
        plan.add("record_admission_check", start, regional_ties=False, shown_willingness=True)
        plan.add("reject", start + _d(draw.days(0, 3)), reason=REJECTION_NO_TIES)
    else:
        plan.add("record_admission_check", start, regional_ties=True, shown_willingness=True, **{ground: True})
        plan.add("reject", start + _d(draw.days(0, 3)), reason=REJECTION_GROUNDS[ground])


def _first_direction(stage: str, draw: Draw) -> str:
    if stage in ("scenario_residence", "outflow_residence_granted_confirmed", "outflow_asylum_centre"):
        return "residence"
    if stage == "scenario_changed":
        return draw.pick(["departure", "residence"])
    if stage in ("outflow_postponement_art64", "mrt_discussed") and draw.chance(0.5):
        return "residence"
    return "departure"


def _open_trajectory(
    plan: Plan, draw: Draw, stage: str, *, sheltered: datetime.date, scenario_on: datetime.date, first: str
) -> None:
    """What follows the scenario in a trajectory still open at ``stage``."""
    today = draw.today
    if stage == "scenario_changed":
        changed_on = scenario_on + _d(draw.days(40, 120))
        _checks(plan, draw, sheltered, min(changed_on, today))
        _scenario(plan, draw, changed_on, "residence" if first == "departure" else "departure")
        _checks(plan, draw, plan.last, today)
    elif stage == "cooperation_insufficient":
        _checks(plan, draw, sheltered, today - _d(draw.days(1, 20)), insufficient_last=True)
    elif stage == "mrt_discussed":
        _checks(plan, draw, sheltered, today - _d(draw.days(60, 120)))
        outcome = MRT_NO_DURABLE_SOLUTION if draw.chance(0.2) else None
        plan.add(
            "record_mrt_discussion",
            today - _d(draw.days(10, 50)),
            imported=True,  # demo history, brought in as an import would
            outcome=outcome,
            notes="MRT-advies: vertrekscenario haalbaar na medische stabilisatie."
            if outcome is None
            else "Het MRT ziet geen bestendige oplossing.",
        )
        _checks(plan, draw, plan.last, today)
    else:  # scenario_departure, scenario_residence
        _checks(plan, draw, sheltered, today)
        if draw.chance(0.6):  # the LSO reviewed the scenario and kept it
            reviewed = today - _d(draw.days(5, 100))
            if reviewed > scenario_on:
                _scenario(plan, draw, reviewed, first, notes=REVIEW_NOTE)


def _outflow(
    plan: Plan,
    draw: Draw,
    stage: str,
    *,
    sheltered: datetime.date,
    scenario_on: datetime.date,
    nationality: str,
    pilot,
) -> None:
    """The stay ends a few months after the scenario, in the stage's outflow category."""
    outflow_on = min(scenario_on + _d(draw.days(60, 240)), draw.today)
    category = stage.removeprefix("outflow_").removesuffix("_confirmed")
    if category == "forced_termination" and pilot.voluntary_participation:
        category = "unknown_destination"  # participation is voluntary there: no forced termination
    forced = category == "forced_termination"
    # A forced termination follows its procedure: insufficient cooperation, a warning, a
    # hearing and the decision, then the outflow.
    _checks(plan, draw, sheltered, outflow_on - _d(21) if forced else outflow_on, insufficient_last=forced)
    if category in ("asylum_centre", "postponement_art64") and draw.chance(0.5):
        plan.add(
            "record_mrt_discussion", outflow_on - _d(draw.days(10, 30)), notes="Besproken in het MRT.", imported=True
        )
    procedure = {}
    if forced:
        procedure = {
            "warned_on": outflow_on - _d(14),
            "heard_on": outflow_on - _d(7),
            "termination_decided_on": outflow_on - _d(2),
        }
    country = ""
    if category == "departure_origin":
        country = nationality
    elif category == "onward_migration":
        country = draw.pick(ONWARD_COUNTRIES)
    outflow_on = plan.add("record_outflow", outflow_on, category=category, country=country, **procedure)
    if stage.endswith("_confirmed"):
        plan.add("confirm_outflow", outflow_on + _d(draw.days(5, 40)))


def stage_for(index: int, rng: random.Random) -> str:
    """The first cases go through every stage once, the rest are drawn by weight."""
    names = list(STAGES)
    weighted = rng.choices(names, weights=list(STAGES.values()))[0]
    return names[index] if index < len(names) else weighted


def seed_cases(ctx: DemoContext) -> dict[str, int]:
    rng = random.Random(20190401)  # deterministic: the same demo every time
    today = timezone.localdate()
    created = 0
    nationalities = sorted(NAMES)
    index = 0
    for lvv_index, pilot in enumerate(ctx.pilots):
        location = ctx.locations[pilot.slug]
        worker = ctx.users[f"casemanager.{pilot.slug}"]
        ngos = ctx.ngos[pilot.slug]
        existing = set(Case.objects.filter(location=location).values_list("external_id", flat=True))
        for number in range(1, ctx.cases_per_location + 1):
            external_id = f"{pilot.code}-DEMO-{number:04d}"
            # Draw every value even for existing cases, so the sequence stays the same.
            country = rng.choice(nationalities)
            given, family = NAMES[country]
            person_fields = {
                "v_number": f"{(lvv_index + 1) * 100_000_000 + number * 7919:010d}"[-10:],
                "given_names": rng.choice(given),
                "family_name": rng.choice(family),
                "birth_date": datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 40)),
                "sex": rng.choice(["m", "m", "m", "f", "x"]),
                "nationality": country,
            }
            ngo_pick = rng.random()
            stage = stage_for(index, rng)
            draw = Draw(rng, today)
            index += 1
            if external_id in existing:
                continue
            assigned = ngos[0] if ngo_pick < 0.7 else (ngos[-1] if ngo_pick < 0.9 else None)
            plan = build_plan(stage, draw, nationality=country, pilot=pilot)
            with transaction.atomic():
                case = services.register_person_and_case(
                    acting_user=worker,
                    origin=COMMAND,
                    location=location,
                    person_fields=person_fields,
                    case_fields={
                        "assigned_ngo": assigned,
                        "external_id": external_id,
                        "registered_on": plan.registered_on,
                        "registration_source": draw.pick(["ngo", "municipality", "police", "bbb", "bbb"]),
                        "case_types": plan.case_types,
                        "prior_departure_procedures": draw.days(0, 7) if draw.chance(0.6) else None,
                    },
                )
                run_plan(case, plan)
            created += 1
    return {
        "cases created": created,
        "cases": Case.objects.filter(external_id__contains="-DEMO-").count(),
        # In-app notices for what is due or overdue now (idempotent), so "Meldingen" has content.
        "notifications created": notifications.notify_deadlines(),
        "notes created": seed_notes(ctx),
        "grants to confirm again": seed_inbox_items(ctx),
        "owner changes": seed_owners(ctx),
    }


def run_plan(case: Case, plan: Plan) -> Case:
    """Take the planned steps with the services, as the system, from the command line."""
    for name, kwargs in plan.ordered():
        case = getattr(services, name)(acting_user=SYSTEM, origin=COMMAND, case=case, **kwargs)
    return case


# --- Case documents ------------------------------------------------------------------------------
# A few documents of every kind and both confidentialities on the first demo cases of each LVV,
# and the files of the first delivered dossier parts, through ``services.add_document``. The
# files are small valid PDFs, PNGs and office files made in code (``cases.demo_files``).
# Fictional, like everything in the demo.

from django.core.files.base import ContentFile  # noqa: E402

from cases import demo_files  # noqa: E402
from cases.models import DossierPart  # noqa: E402

# (kind, confidentiality, uploader's role, title, file name)
DEMO_DOCUMENTS = (
    ("identity_document", "normal", "casemanager", "Kopie paspoort (verlopen)", "paspoort.png"),
    ("decision", "normal", "casemanager", "Beschikking IND: afwijzing asielaanvraag", "beschikking-ind.pdf"),
    ("correspondence", "normal", "ngo", "Brief van de advocaat over een nieuwe aanvraag", "brief-advocaat.docx"),
    ("medical_letter", "special", "casemanager", "Verwijsbrief huisarts", "verwijsbrief.pdf"),
    ("other", "normal", "casemanager", "Afsprakenlijst traject", "afspraken.odt"),
    ("other", "special", "casemanager", "Uittreksel justitiële documentatie", "uittreksel.pdf"),
)
DOCUMENTS_PER_LOCATION = 2  # the first cases of each LVV, by external id
DOSSIER_FILES_PER_LOCATION = 2  # the first delivered parts of each kind, by external id


def demo_file(name: str, title: str, reference: str) -> ContentFile:
    lines = (title, f"Casus {reference}", "Fictief document voor de demonstratie; bevat geen echte gegevens.")
    if name.endswith(".png"):
        content = demo_files.png(64, 40, (90, 120, 160))
    elif name.endswith(".docx"):
        content = demo_files.docx(" ".join(lines))
    elif name.endswith(".odt"):
        content = demo_files.odt(" ".join(lines))
    else:
        content = demo_files.pdf(*lines)
    return ContentFile(content, name=name)


def seed_documents(ctx: DemoContext) -> int:
    """Documents on the first demo cases of each LVV (every kind but the dossier parts, both
    confidentialities), by the case worker or the NGO guide (when the case is the NGO's), and
    the files of the first delivered IND and DT&V dossier parts, by those partners.
    Deterministic and idempotent: a case or dossier part with documents is left alone."""
    created = 0
    for pilot in ctx.pilots:
        location = ctx.locations[pilot.slug]
        ngo_user = ctx.users[f"ngo.{pilot.slug}"]
        cases = Case.objects.filter(location=location, external_id__contains="-DEMO-").order_by("external_id")
        for case in cases[:DOCUMENTS_PER_LOCATION]:
            if case.documents.exists():
                continue
            with transaction.atomic():
                for kind, confidentiality, role, title, name in DEMO_DOCUMENTS:
                    if role == "ngo" and case.assigned_ngo_id != ngo_user.organisation_id:
                        role = "casemanager"
                    services.add_document(
                        acting_user=ctx.users[f"{role}.{pilot.slug}"],
                        origin=COMMAND,
                        case=case,
                        file=demo_file(name, title, case.reference),
                        title=title,
                        kind=kind,
                        confidentiality=confidentiality,
                    )
                    created += 1
        for part_kind in ("IND", "DTV"):
            parts = DossierPart.objects.filter(
                case__location=location,
                case__external_id__contains="-DEMO-",
                kind=part_kind,
                delivered_on__isnull=False,
            ).order_by("case__external_id")
            for part in parts.select_related("case")[:DOSSIER_FILES_PER_LOCATION]:
                if part.documents.exists():
                    continue
                label = "IND" if part_kind == "IND" else "DT&V"
                services.add_document(
                    acting_user=ctx.users[f"{part_kind.lower()}.{pilot.slug}"],
                    origin=COMMAND,
                    case=part.case,
                    file=demo_file(f"dossier-{part_kind.lower()}.pdf", f"Dossierdeel {label}", part.case.reference),
                    title=f"Dossierdeel {label}",
                    kind="dossier_ind" if part_kind == "IND" else "dossier_dtv",
                    dossier_part=part,
                )
                created += 1
    return created


def seed_document_summary(ctx: DemoContext) -> dict[str, int]:
    """The demo's documents, after its cases (registered as a seeder in ``cases.apps``)."""
    return {"documents created": seed_documents(ctx)}


# --- The case journal ---------------------------------------------------------------------------
# (days after the registration, kind, confidentiality, author's role, text); a text starting
# with "Correctie" corrects the note before it. Fictional, like everything in the demo.
DEMO_NOTES = (
    (
        1,
        "conversation",
        "normal",
        "casemanager",
        "Kennismakingsgesprek. Uitleg gegeven over de LVV, de huisregels en de afspraken over het traject; "
        "betrokkene wil meewerken aan een oplossing.",
    ),
    (4, "phone_call", "normal", "ngo", "Gebeld: de afspraak bij de advocaat is verzet naar volgende week."),
    (4, "phone_call", "normal", "ngo", "Correctie: de afspraak bij de advocaat is verzet naar over twee weken."),
    (9, "home_visit", "normal", "ngo", "Huisbezoek op de opvanglocatie. Betrokkene doet mee aan de dagbesteding."),
    (
        14,
        "partner_contact",
        "normal",
        "dtv",
        "Afgestemd met de casemanager: het volgende vertrekgesprek voeren we samen, met een tolk.",
    ),
    (
        18,
        "conversation",
        "special",
        "casemanager",
        "Betrokkene vertelt over slecht slapen en veel piekeren; met toestemming doorverwezen naar de huisarts.",
    ),
    (21, "other", "normal", "casemanager", "Post van de IND doorgestuurd naar de advocaat."),
    (
        25,
        "other",
        "special",
        "casemanager",
        "Uittreksel over een eerdere veroordeling ontvangen; besproken met betrokkene.",
    ),
)
NOTES_PER_LOCATION = 2  # the first cases of each LVV, by external id


def seed_notes(ctx: DemoContext) -> int:
    """A few notes of every kind and both confidentialities on the first demo cases of each
    LVV, by the case manager, the NGO guide (when the case is the NGO's) and the DT&V, through
    ``services.add_note``. Deterministic (dates follow the registration, never after the
    outflow or today) and idempotent (a case with notes is left alone)."""
    today = timezone.localdate()
    created = 0
    for pilot in ctx.pilots:
        cases = Case.objects.filter(location=ctx.locations[pilot.slug], external_id__contains="-DEMO-").order_by(
            "external_id"
        )[:NOTES_PER_LOCATION]
        ngo_user = ctx.users[f"ngo.{pilot.slug}"]
        for case in cases:
            if case.notes.exists():
                continue
            last_day = min(today, case.closed_on or today)
            previous = None
            with transaction.atomic():
                for days, kind, confidentiality, role, text in DEMO_NOTES:
                    if role == "ngo" and case.assigned_ngo_id != ngo_user.organisation_id:
                        role = "casemanager"
                    previous = services.add_note(
                        acting_user=ctx.users[f"{role}.{pilot.slug}"],
                        origin=COMMAND,
                        case=case,
                        written_on=min(case.registered_on + _d(days), last_day),
                        kind=kind,
                        text=text,
                        confidentiality=confidentiality,
                        corrects=previous if text.startswith("Correctie") else None,
                    )
                    created += 1
    return created


# --- Case owners ---------------------------------------------------------------------------------
# Every demo case has the LVV's demo case worker as its case manager, and the NGO's demo guide
# as its guide when the case is assigned to that NGO. The first cases of each LVV were first
# with a colleague (``casemanager2.<lvv>``), who handed them over with a reason, so that the
# history, the timeline and the notices have something to show.
HANDOVERS_PER_LOCATION = 3
HANDOVER_REASONS = (
    "Verdeling van de caseload: de casus gaat naar de vaste casusregisseur van deze locatie.",
    "Collega gaat met langdurig verlof; overgedragen na een warme overdracht.",
    "Betrokkene heeft al eerder contact gehad met deze casusregisseur.",
)


def demo_colleague(ctx: DemoContext, pilot) -> User:
    """The second case worker of the LVV's municipality (``casemanager2.<lvv>``, made by the core)."""
    return ctx.users[f"casemanager2.{pilot.slug}"]


def seed_owners(ctx: DemoContext) -> int:
    """Owners for every demo case through ``services.hand_over`` (a case without a case
    manager, or an NGO case without a guide, gets one; nothing else changes): idempotent.
    Returns how many hand-overs it made."""
    made = 0
    for pilot in ctx.pilots:
        worker = ctx.users[f"casemanager.{pilot.slug}"]
        guide = ctx.users[f"ngo.{pilot.slug}"]
        colleague = demo_colleague(ctx, pilot)
        cases = Case.objects.filter(location=ctx.locations[pilot.slug], external_id__contains="-DEMO-").order_by(
            "external_id"
        )
        for index, case in enumerate(cases):
            steps = []
            if case.case_manager_id is None:
                if index < HANDOVERS_PER_LOCATION and not case.owner_changes.exists():
                    reason = HANDOVER_REASONS[index % len(HANDOVER_REASONS)]
                    steps += [
                        (colleague, OwnerRole.CASE_MANAGER, colleague, ""),
                        (colleague, OwnerRole.CASE_MANAGER, worker, reason),
                    ]
                else:
                    steps.append((worker, OwnerRole.CASE_MANAGER, worker, ""))
            if case.ngo_guide_id is None and case.assigned_ngo_id == guide.organisation_id:
                steps.append((guide, OwnerRole.NGO_GUIDE, guide, ""))
            if not steps:
                continue
            with transaction.atomic():
                for actor, role, to_user, reason in steps:
                    case = services.hand_over(
                        acting_user=actor, origin=COMMAND, case=case, role=role, to_user=to_user, reason=reason
                    )
                    made += 1
    return made


# --- Partner inboxes -------------------------------------------------------------------------
# Every partner inbox has something in it: the demo's own steps leave dossier parts requested,
# departures to confirm, trajectories to review, MRT advice and requests for the LSO. A grant
# is always confirmed in the plans, so in each LVV the case worker corrects the date of one
# confirmed grant (a changed outflow asks the IND to confirm again). The arrival notices come
# with the steps (after each commit); ``seed_inbox_notices`` runs last (a final seeder of
# ``lvv.demo``, after every app's demo) for the items whose notice went to no one because the
# demo account that acted was the one to tell (the LSO chair records the MRT's advice).
GRANT_CORRECTION = "Datum van de inwilliging gecorrigeerd naar de datum van de beschikking."
INBOX_NOTICES_PER_INBOX = 3


def seed_inbox_items(ctx: DemoContext) -> int:
    """Per LVV one confirmed grant corrected by a day, unless a grant already waits for the
    IND: idempotent and deterministic (the first by external id)."""
    corrected = 0
    for pilot in ctx.pilots:
        location = ctx.locations[pilot.slug]
        grants = Case.objects.filter(
            location=location, external_id__contains="-DEMO-", outflow__category="residence_granted"
        )
        if grants.filter(outflow__confirmed_on__isnull=True, outflow__disputed_on__isnull=True).exists():
            continue
        case = grants.select_related("outflow").order_by("external_id").first()
        if case is None:
            continue
        on = max(case.outflow.outflow_on - datetime.timedelta(days=1), case.shelter_started_on or case.registered_on)
        if on == case.outflow.outflow_on:
            continue
        with transaction.atomic():
            services.correct_outflow(
                acting_user=ctx.users[f"casemanager.{pilot.slug}"],
                origin=COMMAND,
                case=case,
                reason=GRANT_CORRECTION,
                category="residence_granted",
                on=on,
            )
        corrected += 1
    return corrected


def seed_inbox_notices(ctx: DemoContext) -> dict[str, int]:
    """For each demo partner account, a notice about the first items of each of its inboxes
    that it was never told about (``inboxes.notify_arrivals``); idempotent."""
    created = 0
    for pilot in ctx.pilots:
        for role in (Role.IND, Role.DTV, Role.LSO_CHAIR):
            user = ctx.users.get(f"{role}.{pilot.slug}")
            if user is None:
                continue
            for box in inboxes.for_user(user):
                told = Notification.objects.filter(user=user, kind=Notification.Kind.INBOX, inbox=box.key)
                for case_id in box.items(user).values_list("pk", flat=True)[:INBOX_NOTICES_PER_INBOX]:
                    if not told.filter(case=case_id).exists():
                        created += inboxes.notify_arrivals(case_id=case_id, keys=[box.key])
    return {"inbox notices created": created}


# --- Special case types ----------------------------------------------------------------------------
# Medical and psychological problems are drawn among the case types when a demo case is registered
# (``build_plan``). The last sheltered case of each LVV that its NGO guides also gets "bekering of
# lhbti", set on the case-types step by the LVV's case worker, so that its timeline has a
# ``case_types_set`` event: ``casemanager.<lvv>`` (with the special-category permission) reads the
# special types on the case page, in the list's filter, the timeline and the API; ``ngo.<lvv>``,
# ``ind.<lvv>`` and ``dtv.<lvv>`` read the same case without them (``cases.special_types``). Not the
# LVV's first sheltered case: the LSO demo gives ``dtv.<lvv>`` the special-category data of that one.


def seed_special_case_types(ctx: DemoContext) -> dict[str, int]:
    """Idempotent: an LVV with a demo case of that type (whatever became of it) is left alone."""
    changed = 0
    for pilot in ctx.pilots:
        demo = Case.objects.filter(location=ctx.locations[pilot.slug], external_id__contains="-DEMO-")
        if demo.filter(case_types__contains=[CaseType.CONVERSION_OR_LGBTI]).exists():
            continue
        cases = demo.filter(state=State.SHELTERED).order_by("external_id")
        first = cases.first()
        guided = cases.filter(assigned_ngo=ctx.users[f"ngo.{pilot.slug}"].organisation_id)
        case = guided.exclude(pk=first.pk).last() if first is not None else None
        if case is None:
            continue
        with transaction.atomic():
            services.set_case_types(
                acting_user=ctx.users[f"casemanager.{pilot.slug}"],
                origin=COMMAND,
                case=case,
                case_types=[*case.case_types, CaseType.CONVERSION_OR_LGBTI],
                prior_departure_procedures=case.prior_departure_procedures,
            )
        changed += 1
    return {"special case types set": changed}
