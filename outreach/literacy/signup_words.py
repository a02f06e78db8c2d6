"""The public workshop sign-up pages' words, in English, Portuguese, Polish and French.

Every language has every key (a test checks); `{workshop}` and `{n}` are filled in by the page.
"""

from __future__ import annotations

from outreach.enums import Language

EN, PT, PL, FR = Language.ENGLISH, Language.PORTUGUESE, Language.POLISH, Language.FRENCH

WORDS: dict[Language, dict[str, str]] = {
    EN: {
        "title": "Learn to use your phone or computer",
        "intro": "Free, friendly workshops: email, video calls with family, spotting scams, "
                 "booking a GP appointment and ordering prescriptions online.",
        "full_name": "Your name",
        "phone": "Your mobile number",
        "phone_hint": "We text you about the workshop. We do not share it.",
        "preferred_language": "Language for our texts",
        "workshop_id": "Which workshop?",
        "starts": "First session",
        "online": "Online",
        "places": "{n} places left",
        "full": "Full: you can join the waiting list",
        "none": "No workshop is planned just now. Please come back soon.",
        "consent": "I agree to take part. The team keeps my name and number to run the workshop "
                   "and text me about it.",
        "send": "Sign up",
        "errors": "Please check the form",
        "error_full_name": "Write your name.",
        "error_phone": "Write a mobile number we can text, for example 07700 900123.",
        "error_preferred_language": "Choose a language.",
        "error_workshop_id": "Choose a workshop.",
        "error_consent": "Tick the box to agree to take part.",
        "thanks_title": "Thank you",
        "enrolled": "You have a place on {workshop}. We will text you before each session.",
        "waiting": "{workshop} is full, so you are on the waiting list. We will text you "
                   "when a place is free.",
        "known": "Thank you. We will text you about {workshop}.",
        "again": "Sign up for another workshop",
        "busy_title": "Too many tries",
        "busy": "Please wait a while, then try again.",
        "expired_title": "This page has expired",
        "expired": "Please go back, reload the page and try again.",
        "language": "Language",
    },
    PT: {
        "title": "Aprenda a usar o telemóvel ou o computador",
        "intro": "Sessões gratuitas e simpáticas: email, videochamadas com a família, "
                 "reconhecer burlas, marcar consultas no médico e pedir receitas pela internet.",
        "full_name": "O seu nome",
        "phone": "O seu número de telemóvel",
        "phone_hint": "Enviamos-lhe mensagens sobre a sessão. Não o partilhamos.",
        "preferred_language": "Língua das nossas mensagens",
        "workshop_id": "Que sessão?",
        "starts": "Primeira sessão",
        "online": "Pela internet",
        "places": "{n} lugares livres",
        "full": "Cheia: pode entrar na lista de espera",
        "none": "Não há sessões marcadas de momento. Volte em breve.",
        "consent": "Aceito participar. A equipa guarda o meu nome e número para organizar a "
                   "sessão e enviar-me mensagens sobre ela.",
        "send": "Inscrever-me",
        "errors": "Verifique o formulário",
        "error_full_name": "Escreva o seu nome.",
        "error_phone": "Escreva um número de telemóvel, por exemplo 07700 900123.",
        "error_preferred_language": "Escolha uma língua.",
        "error_workshop_id": "Escolha uma sessão.",
        "error_consent": "Marque a caixa para aceitar participar.",
        "thanks_title": "Obrigado",
        "enrolled": "Tem lugar em {workshop}. Enviamos-lhe uma mensagem antes de cada sessão.",
        "waiting": "{workshop} está cheia, por isso ficou na lista de espera. Enviamos-lhe "
                   "uma mensagem quando houver lugar.",
        "known": "Obrigado. Vamos enviar-lhe mensagens sobre {workshop}.",
        "again": "Inscrever-me noutra sessão",
        "busy_title": "Demasiadas tentativas",
        "busy": "Espere um pouco e tente de novo.",
        "expired_title": "Esta página expirou",
        "expired": "Volte atrás, recarregue a página e tente de novo.",
        "language": "Língua",
    },
    PL: {
        "title": "Naucz się korzystać z telefonu lub komputera",
        "intro": "Bezpłatne, przyjazne warsztaty: e-mail, rozmowy wideo z rodziną, "
                 "rozpoznawanie oszustw, umawianie wizyt u lekarza i zamawianie recept przez "
                 "internet.",
        "full_name": "Imię i nazwisko",
        "phone": "Numer telefonu komórkowego",
        "phone_hint": "Wyślemy SMS w sprawie warsztatów. Nie udostępniamy numeru.",
        "preferred_language": "Język naszych SMS-ów",
        "workshop_id": "Który warsztat?",
        "starts": "Pierwsze zajęcia",
        "online": "Przez internet",
        "places": "Wolne miejsca: {n}",
        "full": "Brak miejsc: można zapisać się na listę oczekujących",
        "none": "Na razie nie ma zaplanowanych warsztatów. Zajrzyj wkrótce.",
        "consent": "Zgadzam się wziąć udział. Zespół przechowuje moje imię i numer, aby "
                   "prowadzić warsztaty i wysyłać mi SMS-y o nich.",
        "send": "Zapisz mnie",
        "errors": "Sprawdź formularz",
        "error_full_name": "Wpisz imię i nazwisko.",
        "error_phone": "Wpisz numer komórkowy, na przykład 07700 900123.",
        "error_preferred_language": "Wybierz język.",
        "error_workshop_id": "Wybierz warsztat.",
        "error_consent": "Zaznacz pole, aby zgodzić się na udział.",
        "thanks_title": "Dziękujemy",
        "enrolled": "Masz miejsce na warsztatach {workshop}. Przed każdymi zajęciami wyślemy "
                    "SMS.",
        "waiting": "Na warsztatach {workshop} nie ma miejsc, więc jesteś na liście "
                   "oczekujących. Wyślemy SMS, gdy zwolni się miejsce.",
        "known": "Dziękujemy. Wyślemy SMS w sprawie warsztatów {workshop}.",
        "again": "Zapisz się na inne warsztaty",
        "busy_title": "Zbyt wiele prób",
        "busy": "Odczekaj chwilę i spróbuj ponownie.",
        "expired_title": "Ta strona wygasła",
        "expired": "Wróć, odśwież stronę i spróbuj ponownie.",
        "language": "Język",
    },
    FR: {
        "title": "Apprenez à utiliser votre téléphone ou votre ordinateur",
        "intro": "Des ateliers gratuits et conviviaux : e-mail, appels vidéo avec la famille, "
                 "repérer les arnaques, prendre rendez-vous chez le médecin et commander ses "
                 "médicaments en ligne.",
        "full_name": "Votre nom",
        "phone": "Votre numéro de portable",
        "phone_hint": "Nous vous envoyons des SMS au sujet de l'atelier. Nous ne le "
                      "partageons pas.",
        "preferred_language": "Langue de nos SMS",
        "workshop_id": "Quel atelier ?",
        "starts": "Première séance",
        "online": "En ligne",
        "places": "{n} places libres",
        "full": "Complet : vous pouvez vous inscrire sur la liste d'attente",
        "none": "Aucun atelier n'est prévu pour le moment. Revenez bientôt.",
        "consent": "J'accepte de participer. L'équipe garde mon nom et mon numéro pour "
                   "organiser l'atelier et m'envoyer des SMS à son sujet.",
        "send": "M'inscrire",
        "errors": "Veuillez vérifier le formulaire",
        "error_full_name": "Écrivez votre nom.",
        "error_phone": "Écrivez un numéro de portable, par exemple 07700 900123.",
        "error_preferred_language": "Choisissez une langue.",
        "error_workshop_id": "Choisissez un atelier.",
        "error_consent": "Cochez la case pour accepter de participer.",
        "thanks_title": "Merci",
        "enrolled": "Vous avez une place à l'atelier {workshop}. Nous vous enverrons un SMS "
                    "avant chaque séance.",
        "waiting": "L'atelier {workshop} est complet : vous êtes sur la liste d'attente. Nous "
                   "vous enverrons un SMS dès qu'une place se libère.",
        "known": "Merci. Nous vous enverrons des SMS au sujet de l'atelier {workshop}.",
        "again": "M'inscrire à un autre atelier",
        "busy_title": "Trop d'essais",
        "busy": "Attendez un peu, puis réessayez.",
        "expired_title": "Cette page a expiré",
        "expired": "Revenez en arrière, rechargez la page et réessayez.",
        "language": "Langue",
    },
}
