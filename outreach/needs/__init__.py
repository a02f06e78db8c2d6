"""Needs: self-reported or observed, or raised by the safety net."""
