"""Visit plans, pauses, the check-in questionnaire and visits."""
