"""How a programme measures itself: the evaluation dashboard, partner reports, exports."""
