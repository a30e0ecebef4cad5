"""Fictional persons and cases for the demo (registered with lvv.demo)."""

from __future__ import annotations

import datetime
import random

from cases import services
from cases.models import Case
from lvv.audit.log import COMMAND
from lvv.demo import DemoContext

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


def seed_cases(ctx: DemoContext) -> dict[str, int]:
    rng = random.Random(20190401)  # deterministic: the same demo every time
    created = 0
    nationalities = sorted(NAMES)
    for index, pilot in enumerate(ctx.pilots):
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
                "v_number": f"{(index + 1) * 100_000_000 + number * 7919:010d}"[-10:],
                "given_names": rng.choice(given),
                "family_name": rng.choice(family),
                "birth_date": datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 40)),
                "sex": rng.choice(["m", "m", "m", "f", "x"]),
                "nationality": country,
            }
            ngo_pick = rng.random()
            if external_id in existing:
                continue
            assigned = ngos[0] if ngo_pick < 0.7 else (ngos[-1] if ngo_pick < 0.9 else None)
            services.register_person_and_case(
                acting_user=worker,
                origin=COMMAND,
                location=location,
                person_fields=person_fields,
                case_fields={"assigned_ngo": assigned, "external_id": external_id},
            )
            created += 1
    return {"cases created": created, "cases": Case.objects.filter(external_id__contains="-DEMO-").count()}
