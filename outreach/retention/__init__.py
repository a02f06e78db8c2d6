"""Data retention: records past their period are anonymised, blanked or deleted."""
