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
        PL: "Koniec SMS od Call & Check. Aby je wznowić, proszę odpisać START.",
        FR: "Vous ne recevrez plus de SMS de Call & Check. Répondez START pour reprendre.",
    },
    "reply_opted_in": {
        EN: "You will get texts from Call & Check again. Reply STOP to stop them.",
        PT: "Vai voltar a receber SMS do Call & Check. Responda STOP para parar.",
        PL: "SMS od Call & Check wznowione. Aby je wyłączyć, proszę odpisać STOP.",
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
    # --- Outcome measures by text (outreach/evaluation/sms.py) -------------------------------
    # `question` is one of QUESTIONS (numbered: "2/7 ...") or SATISFACTION below, as written in
    # the client's language; the wellbeing run's first question goes with its introduction
    # (outbound `survey_wellbeing_start`).
    "reply_survey_question": {
        EN: "{number}/7 {question}",
        PT: "{number}/7 {question}",
        PL: "{number}/7 {question}",
        FR: "{number}/7 {question}",
    },
    "reply_survey_again": {
        EN: "Please reply with a number from {low} to {high}. {question}",
        PT: "Responda com um número de {low} a {high}. {question}",
        PL: "Odpisz liczbą od {low} do {high}. {question}",
        FR: "Répondez par un nombre de {low} à {high}. {question}",
    },
    "reply_survey_thanks": {
        EN: "Thank you, that is very helpful.",
        PT: "Obrigado, é uma grande ajuda.",
        PL: "Dziękujemy, to nam bardzo pomaga.",
        FR: "Merci, cela nous aide beaucoup.",
    },
    "reply_survey_declined": {
        EN: "No problem, we will not ask these questions now. Thank you.",
        PT: "Sem problema, não fazemos mais perguntas agora. Obrigado.",
        PL: "Dobrze, na razie nie będziemy więcej pytać. Dziękujemy.",
        FR: "Pas de souci, nous arrêtons les questions. Merci.",
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


# --- Outcome measures by text: the questions, with how to answer ------------------------------
# The UCLA 3-item loneliness scale (Hughes et al., 2004) and the ONS-4 personal wellbeing
# questions in their standard English wording; the translations keep each question's meaning
# and its answer scale. French avoids ê and ç, which would make the text UCS-2.
_UCLA = {EN: "Reply 1 hardly ever, 2 some of the time, 3 often",
         PT: "Responda 1 quase nunca, 2 às vezes, 3 muitas vezes",
         PL: "Odpisz 1 prawie nigdy, 2 czasami, 3 często",
         FR: "Répondez 1 presque jamais, 2 parfois, 3 souvent"}
_ONS = {EN: "Reply 0 (not at all) to 10 (completely)",
        PT: "Responda de 0 (nada) a 10 (totalmente)",
        PL: "Odpisz od 0 (wcale) do 10 (całkowicie)",
        FR: "Répondez de 0 (pas du tout) à 10 (complètement)"}
_ASKED = {
    "ucla_companionship": {EN: "How often do you feel that you lack companionship?",
                           PT: "Com que frequência sente falta de companhia?",
                           PL: "Jak często brakuje Ci towarzystwa?",
                           FR: "Vous arrive-t-il de manquer de compagnie ?"},
    "ucla_left_out": {EN: "How often do you feel left out?",
                      PT: "Com que frequência se sente posto(a) de parte?",
                      PL: "Jak często czujesz się pominięty(a)?",
                      FR: "Vous arrive-t-il de vous sentir exclu(e) ?"},
    "ucla_isolated": {EN: "How often do you feel isolated from others?",
                      PT: "Com que frequência se sente isolado(a) dos outros?",
                      PL: "Jak często czujesz się odizolowany(a) od innych?",
                      FR: "Vous arrive-t-il de vous sentir isolé(e) des autres ?"},
    "ons_life_satisfaction": {
        EN: "Overall, how satisfied are you with your life nowadays?",
        PT: "De um modo geral, quão satisfeito(a) está com a sua vida hoje em dia?",
        PL: "Ogólnie, na ile jesteś teraz zadowolony(a) ze swojego życia?",
        FR: "Dans l'ensemble, votre vie actuelle vous satisfait-elle ?"},
    "ons_worthwhile": {
        EN: "Overall, to what extent do you feel that the things you do in your life are "
            "worthwhile?",
        PT: "De um modo geral, até que ponto sente que as coisas que faz na vida valem a pena?",
        PL: "Ogólnie, na ile czujesz, że to, co robisz w życiu, jest wartościowe?",
        FR: "Dans l'ensemble, ce que vous faites dans la vie vous semble-t-il valoir la peine ?"},
    "ons_happy": {EN: "Overall, how happy did you feel yesterday?",
                  PT: "De um modo geral, quão feliz se sentiu ontem?",
                  PL: "Ogólnie, jak szczęśliwy(a) czułeś(aś) się wczoraj?",
                  FR: "Dans l'ensemble, hier, vous sentiez-vous heureux(se) ?"},
    "ons_anxious": {EN: "Overall, how anxious did you feel yesterday?",
                    PT: "De um modo geral, quão ansioso(a) se sentiu ontem?",
                    PL: "Ogólnie, jak bardzo niespokojny(a) czułeś(aś) się wczoraj?",
                    FR: "Dans l'ensemble, hier, vous sentiez-vous anxieux(se) ?"},
}
# Each wellbeing question with its answer scale, by item (the outcome_measures column).
QUESTIONS: dict[str, dict[Language, str]] = {
    item: {language: f"{text} {(_UCLA if item.startswith('ucla') else _ONS)[language]}"
           for language, text in by_language.items()}
    for item, by_language in _ASKED.items()}
# The quarterly satisfaction question, by programme kind: visits, or workshops for learners.
SATISFACTION: dict[str, dict[Language, str]] = {
    "call_and_check": {
        EN: "How happy are you with your Call & Check visits? Reply 1 (not at all) to 5 "
            "(very happy)",
        PT: "Está satisfeito(a) com as visitas do Call & Check? Responda de 1 (nada) a 5 "
            "(muito)",
        PL: "Jak bardzo jesteś zadowolony(a) z wizyt Call & Check? Odpisz od 1 (wcale) do 5 "
            "(bardzo)",
        FR: "Les visites de Call & Check vous plaisent-elles ? Répondez de 1 (pas du tout) à 5 "
            "(beaucoup)"},
    "digital_literacy": {
        EN: "How happy are you with the workshops? Reply 1 (not at all) to 5 (very happy)",
        PT: "Está satisfeito(a) com as sessões? Responda de 1 (nada) a 5 (muito)",
        PL: "Jak bardzo jesteś zadowolony(a) z zajęć? Odpisz od 1 (wcale) do 5 (bardzo)",
        FR: "Les ateliers vous plaisent-ils ? Répondez de 1 (pas du tout) à 5 (beaucoup)"},
}
