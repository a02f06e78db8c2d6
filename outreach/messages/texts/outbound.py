"""What we text on our own initiative: check-ins, reminders, notices, reports and alerts."""

from outreach.enums import Language

EN, PT, PL, FR = Language.ENGLISH, Language.PORTUGUESE, Language.POLISH, Language.FRENCH

TEXTS: dict[str, dict[Language, str]] = {
    "check_in": {
        EN: "Hello {first_name}, it's Call & Check. Reply 1 if you are OK, 2 if you would like "
            "a call, 3 if you need help today.",
        PT: "Olá {first_name}, é o Call & Check. Responda 1 se está bem, 2 se quer que lhe "
            "liguemos, 3 se precisa de ajuda hoje.",
        PL: "Dzień dobry {first_name}, tu Call & Check. Odpisz 1 jeśli wszystko dobrze, 2 jeśli "
            "chcesz telefon, 3 jeśli potrzebujesz dziś pomocy.",
        FR: "Bonjour {first_name}, ici Call & Check. Répondez 1 si tout va bien, 2 si vous "
            "souhaitez un appel, 3 si vous avez besoin d'aide aujourd'hui.",
    },
}
