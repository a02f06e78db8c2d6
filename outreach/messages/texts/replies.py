"""Our answers to texts people send in, in the sender's language.

Kept short: a reply goes out in the webhook's answer and each segment is billed. Portuguese and
Polish need characters outside the GSM alphabet, so their texts are sent as UCS-2, 70 characters
to a segment. `WHAT` names each need category as the "We have noted: ..." replies say it.
"""

from outreach.enums import Language, NeedCategory

EN, PT, PL, FR = Language.ENGLISH, Language.PORTUGUESE, Language.POLISH, Language.FRENCH

TEXTS: dict[str, dict[Language, str]] = {
    "reply_opted_out": {
        EN: "You will get no more texts from Call & Check. Reply START to get them again.",
        PT: "Não vai receber mais SMS do Call & Check. Responda START para voltar.",
        PL: "Nie dostaniesz już SMS od Call & Check. Odpisz START, by wznowić.",
        FR: "Vous ne recevrez plus de SMS de Call & Check. Répondez START pour reprendre.",
    },
    "reply_opted_in": {
        EN: "You will get texts from Call & Check again. Reply STOP to stop them.",
        PT: "Vai voltar a receber SMS do Call & Check. Responda STOP para parar.",
        PL: "Znów dostaniesz SMS od Call & Check. Odpisz STOP, by je wyłączyć.",
        FR: "Vous recevrez de nouveau les SMS de Call & Check. Répondez STOP pour les refuser.",
    },
    "reply_help": {
        EN: "Call & Check: reply 1 if you are OK, 2 for a call, 3 for help today, or write "
            "what you need. Reply STOP to stop texts.",
        PT: "Call & Check: 1 = estou bem, 2 = liguem-me, 3 = ajuda hoje, ou escreva o que "
            "precisa. STOP para parar.",
        PL: "Call & Check: 1 = dobrze, 2 = telefon, 3 = pomoc dziś. STOP = koniec.",
        FR: "Call & Check : 1 = tout va bien, 2 = un appel, 3 = aide aujourd'hui, ou écrivez "
            "votre besoin. STOP pour ne plus recevoir de SMS.",
    },
    "reply_check_in_ok": {
        EN: "Thank you. We are glad you are OK.",
        PT: "Obrigado. Ainda bem que está tudo bem.",
        PL: "Dziękujemy. Cieszymy się, że wszystko dobrze.",
        FR: "Merci. Nous sommes contents que tout aille bien.",
    },
    "reply_check_in_call": {
        EN: "Thank you. Someone from Call & Check will call you soon.",
        PT: "Obrigado. Alguém do Call & Check vai ligar-lhe em breve.",
        PL: "Dziękujemy. Ktoś z Call & Check wkrótce zadzwoni.",
        FR: "Merci. Quelqu'un de Call & Check vous appellera sous peu.",
    },
    "reply_check_in_help": {
        EN: "Thank you. Someone will call you today to help.",
        PT: "Obrigado. Alguém vai ligar-lhe hoje para ajudar.",
        PL: "Dziękujemy. Ktoś zadzwoni dziś, by pomóc.",
        FR: "Merci. Quelqu'un vous appellera aujourd'hui pour vous aider.",
    },
    "reply_need_urgent": {
        EN: "Thank you. We have noted: {what}. Someone will call you today.",
        PT: "Obrigado. Registámos: {what}. Alguém vai ligar-lhe hoje.",
        PL: "Dziękujemy. Zapisaliśmy: {what}. Ktoś zadzwoni dziś.",
        FR: "Merci. Nous avons noté : {what}. Quelqu'un vous appellera aujourd'hui.",
    },
    "reply_need_soon": {
        EN: "Thank you. We have noted: {what}. Someone will call you soon.",
        PT: "Obrigado. Registámos: {what}. Ligamos em breve.",
        PL: "Dziękujemy. Zapisaliśmy: {what}. Ktoś wkrótce zadzwoni.",
        FR: "Merci. Nous avons noté : {what}. Quelqu'un vous appellera sous peu.",
    },
    "reply_need_routine": {
        EN: "Thank you. We have noted: {what}. Someone will be in touch within a few days.",
        PT: "Obrigado. Registámos: {what}. Contactamos em poucos dias.",
        PL: "Dziękujemy. Zapisaliśmy: {what}. Odezwiemy się w ciągu kilku dni.",
        FR: "Merci. Nous avons noté : {what}. Nous vous contacterons d'ici quelques jours.",
    },
    "reply_read_by_team": {
        EN: "Thank you, a member of the team will read your message.",
        PT: "Obrigado, alguém da equipa vai ler a sua mensagem.",
        PL: "Dziękujemy, ktoś z zespołu przeczyta wiadomość.",
        FR: "Merci, un membre de l'équipe va lire votre message.",
    },
    # To a contact who replied OK to an alert: they have taken it on.
    "reply_contact_ok": {
        EN: "Thank you. We have noted that you are dealing with it.",
        PT: "Obrigado. Registámos que vai tratar do assunto.",
        PL: "Dziękujemy. Zapisaliśmy, że się tym zajmiesz.",
        FR: "Merci. Nous avons noté que vous vous en occupez.",
    },
    # To a number we do not know: says nothing about anyone, whatever the text asked.
    "reply_unknown_sender": {
        EN: "Thank you for your message. It has been passed to the Call & Check team.",
        PT: "Obrigado pela sua mensagem. Foi passada à equipa do Call & Check.",
        PL: "Dziękujemy za wiadomość. Przekazaliśmy ją zespołowi Call & Check.",
        FR: "Merci pour votre message. Il a été transmis à l'équipe de Call & Check.",
    },
    # --- Digital-literacy workshops (outreach/literacy/sms.py) --------------------------------
    # LEARN (APRENDER, NAUKA, APPRENDRE): booked, on the waiting list, or nothing planned.
    "reply_learn_enrolled": {
        EN: "Thank you {first_name}, you are booked on {workshop}. Your first session: {day} "
            "at {time}, {place}.",
        PT: "Obrigado {first_name}, tem lugar em {workshop}. Primeira sessão: {day}, às {time}, "
            "{place}.",
        PL: "Dziękujemy {first_name}, masz miejsce: {workshop}. Pierwsze zajęcia: {day} "
            "o {time}, {place}.",
        FR: "Merci {first_name}, votre place est réservée pour {workshop}. Première séance le "
            "{day} à {time}, {place}.",
    },
    "reply_learn_waiting": {
        EN: "Thank you {first_name}. {workshop} is full, so you are on its waiting list. We "
            "will text you when a place is free.",
        PT: "Obrigado {first_name}. {workshop} está cheio; ficou na lista de espera. Avisamos "
            "quando houver vaga.",
        PL: "Dziękujemy {first_name}. {workshop}: brak miejsc, jesteś na liście oczekujących. "
            "Napiszemy, gdy zwolni się miejsce.",
        FR: "Merci {first_name}. {workshop} est complet : vous voilà sur la liste d'attente. "
            "Nous vous écrirons dès qu'une place se libère.",
    },
    "reply_learn_none_planned": {
        EN: "Thank you {first_name}. No workshop is planned just now; we will be in touch.",
        PT: "Obrigado {first_name}. De momento não há sessões marcadas; diremos algo em breve.",
        PL: "Dziękujemy {first_name}. Na razie nie ma zaplanowanych zajęć; odezwiemy się.",
        FR: "Merci {first_name}. Aucun atelier n'est prévu pour l'instant ; nous vous "
            "recontacterons.",
    },
    "reply_learn_already_enrolled": {
        EN: "You are already booked on {workshop}. Next session: {day} at {time}, {place}.",
        PT: "Já tem lugar em {workshop}. Próxima sessão: {day}, às {time}, {place}.",
        PL: "Masz już miejsce: {workshop}. Następne zajęcia: {day} o {time}, {place}.",
        FR: "Vous avez déjà une place pour {workshop}. Prochaine séance le {day} à {time}, "
            "{place}.",
    },
    "reply_learn_already_waiting": {
        EN: "You are already on the waiting list for {workshop}. We will text you when a place "
            "is free.",
        PT: "Já está na lista de espera de {workshop}. Avisamos quando houver vaga.",
        PL: "Jesteś już na liście oczekujących: {workshop}. Napiszemy, gdy zwolni się miejsce.",
        FR: "Vous figurez déjà sur la liste d'attente pour {workshop}. Nous vous écrirons dès "
            "qu'une place se libère.",
    },
    "reply_learn_already_offered": {
        EN: "A place on {workshop} is waiting for you: reply YES to take it.",
        PT: "Há uma vaga para si em {workshop}: responda SIM para a aceitar.",
        PL: "Czeka na Ciebie miejsce: {workshop}. Odpisz TAK, by je zająć.",
        FR: "Une place vous attend pour {workshop} : répondez OUI pour la prendre.",
    },
    # A session's short code, texted on arrival.
    "reply_session_welcome": {
        EN: "Welcome {first_name}, you are on the register for {workshop}. Enjoy the session!",
        PT: "Bem-vindo(a) {first_name}, presença registada em {workshop}. Boa sessão!",
        PL: "Witaj {first_name}, jesteś na liście obecności: {workshop}. Miłych zajęć!",
        FR: "Bienvenue {first_name}, votre présence à {workshop} est notée. Bonne séance !",
    },
    "reply_session_not_started": {
        EN: "{workshop} starts on {day} at {time}. Text the code again when you arrive.",
        PT: "{workshop} começa {day}, às {time}. Envie o código quando chegar.",
        PL: "{workshop}: początek {day} o {time}. Wyślij kod po przyjściu.",
        FR: "{workshop} commence le {day} à {time}. Renvoyez le code à votre arrivée.",
    },
    "reply_session_over": {
        EN: "That session of {workshop} has ended, so we could not sign you in. Please speak "
            "to your tutor.",
        PT: "Essa sessão de {workshop} já terminou. Fale com o formador.",
        PL: "Te zajęcia już się skończyły: {workshop}. Porozmawiaj z prowadzącym.",
        FR: "Cette séance de {workshop} est terminée. Parlez-en à votre formateur.",
    },
    "reply_session_cancelled": {
        EN: "Sorry, that session of {workshop} was cancelled. We will be in touch.",
        PT: "Lamentamos, essa sessão de {workshop} foi cancelada. Entraremos em contacto.",
        PL: "Przepraszamy, te zajęcia zostały odwołane: {workshop}. Odezwiemy się.",
        FR: "Désolés, cette séance de {workshop} a été annulée. Nous vous recontacterons.",
    },
    "reply_session_not_enrolled": {
        EN: "You are not booked on {workshop}, so we could not sign you in. Please speak to "
            "the tutor.",
        PT: "Não tem lugar em {workshop}. Fale com o formador.",
        PL: "Nie masz miejsca: {workshop}. Porozmawiaj z prowadzącym.",
        FR: "Vous n'avez pas de place pour {workshop}. Parlez-en au formateur.",
    },
    # YES to a place offered from the waiting list.
    "reply_offer_accepted": {
        EN: "Thank you {first_name}, the place is yours: {workshop}, first session {day} at "
            "{time}, {place}.",
        PT: "Obrigado {first_name}, a vaga é sua: {workshop}, primeira sessão {day}, às {time}, "
            "{place}.",
        PL: "Dziękujemy {first_name}, miejsce jest Twoje: {workshop}, pierwsze zajęcia {day} "
            "o {time}, {place}.",
        FR: "Merci {first_name}, la place est à vous : {workshop}, première séance le {day} "
            "à {time}, {place}.",
    },
    "reply_offer_expired": {
        EN: "Sorry, the time to take the place on {workshop} has run out. You are still on the "
            "waiting list.",
        PT: "Lamentamos, o prazo para a vaga em {workshop} terminou. Continua na lista de espera.",
        PL: "Przepraszamy, minął czas na zajęcie miejsca: {workshop}. Nadal czekasz na liście.",
        FR: "Désolés, le délai pour la place à {workshop} est passé. Vous restez sur la liste "
            "d'attente.",
    },
    # The digit answering the four-week follow-up.
    "reply_follow_up_thanks": {
        EN: "Thank you for your answer. It helps us improve the workshops.",
        PT: "Obrigado pela resposta. Ajuda-nos a melhorar as sessões.",
        PL: "Dziękujemy za odpowiedź. Pomoże nam ulepszyć zajęcia.",
        FR: "Merci pour votre réponse. Elle nous aide à améliorer les ateliers.",
    },
}

WHAT: dict[NeedCategory, dict[Language, str]] = {
    NeedCategory.FALL: {EN: "a fall", PT: "uma queda", PL: "upadek", FR: "une chute"},
    NeedCategory.SAFEGUARDING: {EN: "your safety", PT: "a sua segurança",
                                PL: "bezpieczeństwo", FR: "votre sécurité"},
    NeedCategory.PAIN_OR_ILLNESS: {EN: "pain or illness", PT: "dor ou doença",
                                   PL: "ból lub choroba", FR: "douleur ou maladie"},
    NeedCategory.MEDICATION: {EN: "medicines", PT: "medicamentos", PL: "leki",
                              FR: "médicaments"},
    NeedCategory.FOOD_OR_SHOPPING: {EN: "food or shopping", PT: "comida ou compras",
                                    PL: "jedzenie lub zakupy", FR: "repas ou courses"},
    NeedCategory.HOME_OR_HEATING: {EN: "home or heating", PT: "casa ou aquecimento",
                                   PL: "dom lub ogrzewanie", FR: "logement ou chauffage"},
    NeedCategory.PERSONAL_CARE: {EN: "personal care", PT: "cuidados pessoais",
                                 PL: "higiena i opieka", FR: "soins personnels"},
    NeedCategory.TRANSPORT: {EN: "transport", PT: "transporte", PL: "transport",
                             FR: "transport"},
    NeedCategory.MONEY: {EN: "money", PT: "dinheiro", PL: "pieniądze", FR: "argent"},
    NeedCategory.LONELINESS: {EN: "feeling lonely", PT: "solidão", PL: "samotność",
                              FR: "solitude"},
    NeedCategory.DIGITAL_HELP: {EN: "help with computers", PT: "ajuda informática",
                                PL: "pomoc z komputerem", FR: "aide informatique"},
}
