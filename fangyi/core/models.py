"""core has no tables of its own yet; policy values will live here."""
