"""Procedures and departure preparation hold case data and change only through
``procedures.services`` (pages, API, import), never in the admin. Nothing is registered here."""
