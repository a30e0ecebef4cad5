"""The MRT has no functional management: escalations, sessions and advice hold case data
and change only through ``mrt.services`` (pages and API). Nothing is registered here."""
