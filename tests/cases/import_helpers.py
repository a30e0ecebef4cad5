"""Shared by the tests of the case import: the contract's example line and files of lines."""

from __future__ import annotations

import copy
import json

# The contract's example line.
EXAMPLE = {
    "schema": "lvv-case/1",
    "external_id": "AMS-2019-0001",
    "lvv": "amsterdam",
    "within_covenant": True,
    "person": {
        "v_number": "1234567890",
        "family_name": "Tesfay",
        "given_names": "Abel",
        "birth_date": "1981-05-02",
        "sex": "m",
        "nationality": "ER",
    },
    "case_types": ["medical", "repeat_asylum"],
    "prior_departure_procedures": 2,
    "events": [
        {"type": "registered", "date": "2019-03-20"},
        {"type": "admitted", "date": "2019-04-01"},
        {"type": "shelter_started", "date": "2019-04-01"},
        {"type": "dossier_delivered", "date": "2019-04-10", "by": "IND"},
        {"type": "dossier_delivered", "date": "2019-04-12", "by": "DTV"},
        {"type": "scenario_set", "date": "2019-05-07", "direction": "departure"},
        {"type": "cooperation_checked", "date": "2019-07-01", "result": "sufficient"},
        {"type": "mrt_discussed", "date": "2019-11-14"},
        {"type": "outflow", "date": "2020-02-03", "category": "departure_origin", "country": "ER", "verified": True},
    ],
}


def line(**changes) -> dict:
    """The example line with top-level fields replaced."""
    data = copy.deepcopy(EXAMPLE)
    data.update(copy.deepcopy(changes))
    return data


def jsonl(*lines) -> bytes:
    """The lines as an import file (JSON Lines)."""
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in lines).encode("utf-8")
