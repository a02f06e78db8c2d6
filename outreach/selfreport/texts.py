"""The self-report pages' words, in English, Portuguese, Polish and French.

Every language has every key; `words(language)` falls back to English only for an unknown
language, never for a missing key (the tests check the four are complete).
"""

from __future__ import annotations

from outreach.enums import Language

EN, PT, PL, FR = Language.ENGLISH, Language.PORTUGUESE, Language.POLISH, Language.FRENCH

# Each language's own name for itself, for the links that switch language.
LANGUAGE_NAMES = {EN: "English", PT: "Português", PL: "Polski", FR: "Français"}

WORDS: dict[Language, dict[str, str]] = {
    EN: {
        "title": "Tell us what you need",
        "intro": "Tell the Call & Check team what you need. We will read it and contact you.",
        "language": "Language",
        "what": "What do you need help with?",
        "fall": "I had a fall",
        "pain_or_illness": "Pain or feeling ill",
        "medication": "Medicines",
        "food_or_shopping": "Food or shopping",
        "transport": "Getting to an appointment",
        "home_or_heating": "Home or heating",
        "money": "Money or bills",
        "loneliness": "Feeling lonely",
        "personal_care": "Washing, dressing or personal care",
        "digital_help": "Help with a phone or computer",
        "other": "Something else",
        "how_soon": "How soon?",
        "today": "Today",
        "few_days": "In the next few days",
        "no_rush": "No rush",
        "details": "Anything you want to add (you can leave this empty)",
        "details_hint": "Up to 1000 letters.",
        "send": "Send",
        "emergency": "In an emergency, call 999.",
        "errors": "Please check the form",
        "error_category": "Choose what you need help with.",
        "error_how_soon": "Choose how soon you need help.",
        "error_description": "Write at most 1000 letters.",
        "thanks_title": "Thank you",
        "thanks": "Thank you. The Call & Check team will contact you soon.",
        "thanks_today": "If you need help today, we will try to reach you today.",
        "again": "Tell us something else",
        "dead_title": "This link does not work any more",
        "dead": "This link does not work any more. Please call the Call & Check team, or ask "
                "them to text you a new link.",
        "busy_title": "Too many tries",
        "busy": "Please wait a while, then try again. In an emergency, call 999.",
        "expired_title": "This page has expired",
        "expired": "Please go back, reload the page and try again.",
    },
    PT: {
        "title": "Diga-nos do que precisa",
        "intro": "Diga à equipa do Call & Check do que precisa. Vamos ler e entrar em contacto "
                 "consigo.",
        "language": "Língua",
        "what": "Precisa de ajuda com quê?",
        "fall": "Tive uma queda",
        "pain_or_illness": "Dores ou sinto-me doente",
        "medication": "Medicamentos",
        "food_or_shopping": "Comida ou compras",
        "transport": "Ir a uma consulta",
        "home_or_heating": "Casa ou aquecimento",
        "money": "Dinheiro ou contas",
        "loneliness": "Sinto-me só",
        "personal_care": "Lavar-me, vestir-me ou cuidados pessoais",
        "digital_help": "Ajuda com o telemóvel ou o computador",
        "other": "Outra coisa",
        "how_soon": "Para quando?",
        "today": "Hoje",
        "few_days": "Nos próximos dias",
        "no_rush": "Sem pressa",
        "details": "Quer acrescentar alguma coisa? (pode deixar em branco)",
        "details_hint": "Até 1000 letras.",
        "send": "Enviar",
        "emergency": "Numa emergência, ligue 999.",
        "errors": "Por favor, verifique o formulário",
        "error_category": "Escolha com que precisa de ajuda.",
        "error_how_soon": "Escolha para quando precisa de ajuda.",
        "error_description": "Escreva no máximo 1000 letras.",
        "thanks_title": "Obrigado",
        "thanks": "Obrigado. A equipa do Call & Check vai entrar em contacto consigo em breve.",
        "thanks_today": "Se precisa de ajuda hoje, vamos tentar falar consigo hoje.",
        "again": "Dizer-nos outra coisa",
        "dead_title": "Este link já não funciona",
        "dead": "Este link já não funciona. Por favor, ligue para a equipa do Call & Check ou "
                "peça que lhe enviem um novo link por SMS.",
        "busy_title": "Demasiadas tentativas",
        "busy": "Por favor, espere um pouco e tente de novo. Numa emergência, ligue 999.",
        "expired_title": "Esta página expirou",
        "expired": "Por favor, volte atrás, recarregue a página e tente de novo.",
    },
    PL: {
        "title": "Powiedz nam, czego potrzebujesz",
        "intro": "Napisz zespołowi Call & Check, czego potrzebujesz. Przeczytamy to "
                 "i skontaktujemy się z Tobą.",
        "language": "Język",
        "what": "W czym potrzebujesz pomocy?",
        "fall": "Upadłem / upadłam",
        "pain_or_illness": "Ból lub złe samopoczucie",
        "medication": "Leki",
        "food_or_shopping": "Jedzenie lub zakupy",
        "transport": "Dojazd na wizytę",
        "home_or_heating": "Dom lub ogrzewanie",
        "money": "Pieniądze lub rachunki",
        "loneliness": "Czuję się samotny / samotna",
        "personal_care": "Mycie, ubieranie lub higiena",
        "digital_help": "Pomoc z telefonem lub komputerem",
        "other": "Coś innego",
        "how_soon": "Jak szybko?",
        "today": "Dzisiaj",
        "few_days": "W ciągu kilku dni",
        "no_rush": "Bez pośpiechu",
        "details": "Czy chcesz coś dodać? (możesz zostawić puste)",
        "details_hint": "Najwyżej 1000 znaków.",
        "send": "Wyślij",
        "emergency": "W nagłym wypadku zadzwoń pod 999.",
        "errors": "Prosimy sprawdzić formularz",
        "error_category": "Wybierz, w czym potrzebujesz pomocy.",
        "error_how_soon": "Wybierz, jak szybko potrzebujesz pomocy.",
        "error_description": "Napisz najwyżej 1000 znaków.",
        "thanks_title": "Dziękujemy",
        "thanks": "Dziękujemy. Zespół Call & Check wkrótce się z Tobą skontaktuje.",
        "thanks_today": "Jeśli potrzebujesz pomocy dzisiaj, postaramy się skontaktować dzisiaj.",
        "again": "Napisz nam o czymś innym",
        "dead_title": "Ten link już nie działa",
        "dead": "Ten link już nie działa. Zadzwoń do zespołu Call & Check albo poproś "
                "o nowy link SMS-em.",
        "busy_title": "Zbyt wiele prób",
        "busy": "Odczekaj chwilę i spróbuj ponownie. W nagłym wypadku zadzwoń pod 999.",
        "expired_title": "Ta strona wygasła",
        "expired": "Wróć, odśwież stronę i spróbuj ponownie.",
    },
    FR: {
        "title": "Dites-nous ce dont vous avez besoin",
        "intro": "Dites à l'équipe Call & Check ce dont vous avez besoin. Nous le lirons et "
                 "vous contacterons.",
        "language": "Langue",
        "what": "Pour quoi avez-vous besoin d'aide ?",
        "fall": "J'ai fait une chute",
        "pain_or_illness": "Douleur ou malaise",
        "medication": "Médicaments",
        "food_or_shopping": "Repas ou courses",
        "transport": "Aller à un rendez-vous",
        "home_or_heating": "Logement ou chauffage",
        "money": "Argent ou factures",
        "loneliness": "Je me sens seul(e)",
        "personal_care": "Toilette, habillage ou soins personnels",
        "digital_help": "Aide avec un téléphone ou un ordinateur",
        "other": "Autre chose",
        "how_soon": "Pour quand ?",
        "today": "Aujourd'hui",
        "few_days": "Dans les prochains jours",
        "no_rush": "Ce n'est pas pressé",
        "details": "Voulez-vous ajouter quelque chose ? (vous pouvez laisser vide)",
        "details_hint": "1000 caractères au plus.",
        "send": "Envoyer",
        "emergency": "En cas d'urgence, appelez le 999.",
        "errors": "Merci de vérifier le formulaire",
        "error_category": "Choisissez pour quoi vous avez besoin d'aide.",
        "error_how_soon": "Choisissez pour quand vous avez besoin d'aide.",
        "error_description": "Écrivez 1000 caractères au plus.",
        "thanks_title": "Merci",
        "thanks": "Merci. L'équipe Call & Check va vous contacter bientôt.",
        "thanks_today": "Si vous avez besoin d'aide aujourd'hui, nous essaierons de vous "
                        "joindre aujourd'hui.",
        "again": "Nous dire autre chose",
        "dead_title": "Ce lien ne fonctionne plus",
        "dead": "Ce lien ne fonctionne plus. Appelez l'équipe Call & Check, ou demandez-lui de "
                "vous envoyer un nouveau lien par SMS.",
        "busy_title": "Trop d'essais",
        "busy": "Merci de patienter un moment, puis de réessayer. En cas d'urgence, appelez "
                "le 999.",
        "expired_title": "Cette page a expiré",
        "expired": "Revenez en arrière, rechargez la page et réessayez.",
    },
}


def language_of(value: str | None, default: Language | str = EN) -> Language:
    """The language asked for (`?lang=`), else `default`; anything unknown reads as English."""
    for candidate in (value, default):
        try:
            return Language(candidate)
        except ValueError:
            continue
    return EN


def words(language: Language | str) -> dict[str, str]:
    """The page's words in `language`."""
    return WORDS[language_of(language)]
