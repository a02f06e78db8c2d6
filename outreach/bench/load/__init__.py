"""`scripts/load`: a realistic morning at ten times a national operator's peak, on loopback.

`plan` prepares the people, tokens and cursors on the bench database; `locustfile` is what the
simulated visitors, Twilio, providers and coordinators do; `__main__` serves the application
under gunicorn (the bench's settings), runs Locust headless for a bounded time and prints one
table, exiting non-zero on any error or a p99 of 200 ms or more.
"""
