"""Production start-up checks on the secret key and the public address.

A weak SECRET_KEY lets anyone who guesses it forge a logged-in session cookie; an http://
PUBLIC_BASE_URL silently turns off Secure cookies and HSTS (both follow its scheme). Either is
refused at start-up in production with a message that says what to do.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from zxcvbn import zxcvbn

MIN_KEY_LENGTH = 32
MIN_KEY_DISTINCT = 10
# zxcvbn's estimate of the guesses needed, as a power of ten: 10^24 is about 80 bits, which a
# random 32-character hex key (secrets.token_hex(16)) passes and a repeated or dictionary-built
# one does not. zxcvbn reads at most 72 characters; a longer key is judged by its start.
MIN_KEY_GUESSES_LOG10 = 24
ZXCVBN_MAX = 72
MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def secret_key_problem(key: str) -> str | None:
    """Why `key` is too weak to sign sessions in production, or None if it will do."""
    if len(key) < MIN_KEY_LENGTH:
        return f"it has {len(key)} characters, fewer than {MIN_KEY_LENGTH}"
    if (distinct := len(set(key))) < MIN_KEY_DISTINCT:
        return (f"it uses only {distinct} different character{'s' if distinct > 1 else ''} "
                f"(at least {MIN_KEY_DISTINCT} are needed)")
    if zxcvbn(key[:ZXCVBN_MAX])["guesses_log10"] < MIN_KEY_GUESSES_LOG10:
        return "it is made of repeats, sequences or words, so it is easy to guess"
    return None


def public_base_url_problem(url: str) -> str | None:
    """Why `url` cannot be production's public address, or None if it will do."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return ("it must start with https:// (over http:// session cookies are sent without "
                "Secure and HSTS is off)")
    if not parts.hostname:
        return "it has no host name"
    return None


def production_problems(config: dict) -> list[str]:
    """Each reason the configuration is unsafe to run in production, as a sentence."""
    problems = []
    key_problem = secret_key_problem(str(config["SECRET_KEY"]))
    if key_problem:
        problems.append(f"SECRET_KEY is too weak: {key_problem}. Set it to a long random "
                        f"value, e.g. the output of: {MAKE_A_KEY}")
    url_problem = public_base_url_problem(str(config["PUBLIC_BASE_URL"]))
    if url_problem:
        problems.append(f"PUBLIC_BASE_URL {config['PUBLIC_BASE_URL']!r} is refused: "
                        f"{url_problem}.")
    elif not config.get("SESSION_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE is off: production cookies must be Secure.")
    return problems
