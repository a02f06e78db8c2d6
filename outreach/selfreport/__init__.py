"""The web self-report form: a per-client link, texted to the client, to tell us what they need."""
