"""Outcome measures collected in the normal workflow: loneliness, wellbeing, satisfaction."""
