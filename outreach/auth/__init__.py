"""Users, sessions, bearer tokens and the one place that decides who may do what."""
