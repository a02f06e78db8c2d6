"""What we text on our own initiative: check-ins, reminders, notices, reports and alerts.

Every template exists in English, Portuguese, Polish and French with the same fields. Fields:
`first_name` (the client, in texts to the client) and `client_first_name` (in texts to a
designated contact); `day` a date with its weekday and `time` a clock time, both already written
in the recipient's language (see texts.dates); `when` a whole "today at 10:40" phrase;
`appointment` what and where the appointment is.

Texts to contacts start with the client's name and a colon, which reads naturally in every
language without having to agree a participle with the client's sex or decline the name. They
never carry clinical detail: only what kind of thing happened, and that the team knows.
"""

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
    # --- Appointments: the day before (from the check-in time) and 2 hours before ------------
    "appointment_day_before": {
        EN: "Hello {first_name}, a reminder from Call & Check: {appointment}, tomorrow {day} "
            "at {time}.",
        PT: "Olá {first_name}, lembrete do Call & Check: {appointment}, amanhã, {day}, "
            "às {time}.",
        PL: "Dzień dobry {first_name}, przypomnienie od Call & Check: {appointment}, jutro, "
            "{day}, o {time}.",
        FR: "Bonjour {first_name}, rappel de Call & Check : {appointment}, demain, {day} "
            "à {time}.",
    },
    "appointment_soon": {
        EN: "Hello {first_name}, a reminder from Call & Check: {appointment}, today at {time}.",
        PT: "Olá {first_name}, lembrete do Call & Check: {appointment}, hoje às {time}.",
        PL: "Dzień dobry {first_name}, przypomnienie od Call & Check: {appointment}, dziś "
            "o {time}.",
        FR: "Bonjour {first_name}, rappel de Call & Check : {appointment}, aujourd'hui "
            "à {time}.",
    },
    # --- Prescriptions: out for delivery on the round -----------------------------------------
    "prescription_on_its_way": {
        EN: "Hello {first_name}, it's Call & Check. Your prescription from {pharmacy} is on its "
            "way and will be brought to your door.",
        PT: "Olá {first_name}, é o Call & Check. Os seus medicamentos de {pharmacy} estão a "
            "caminho e vão ser entregues em sua casa.",
        PL: "Dzień dobry {first_name}, tu Call & Check. Twoje leki z apteki {pharmacy} są "
            "w drodze i zostaną dostarczone do domu.",
        FR: "Bonjour {first_name}, ici Call & Check. Vos médicaments préparés par {pharmacy} "
            "sont en route et vous seront apportés à domicile.",
    },
    # The same when no pharmacy is recorded (a coordinator added the prescription).
    "prescription_on_its_way_unnamed": {
        EN: "Hello {first_name}, it's Call & Check. Your prescription is on its way and will be "
            "brought to your door.",
        PT: "Olá {first_name}, é o Call & Check. Os seus medicamentos estão a caminho e vão ser "
            "entregues em sua casa.",
        PL: "Dzień dobry {first_name}, tu Call & Check. Twoje leki są w drodze i zostaną "
            "dostarczone do domu.",
        FR: "Bonjour {first_name}, ici Call & Check. Vos médicaments sont en route et vous "
            "seront apportés à domicile.",
    },
    # --- Visit reports to designated contacts, one per visit outcome ---------------------------
    "visit_report_seen_well": {
        EN: "Call & Check: {client_first_name} was visited {when}: all well.",
        PT: "Call & Check: visita a {client_first_name} {when}: está tudo bem.",
        PL: "Call & Check: {client_first_name}, wizyta {when}: wszystko w porządku.",
        FR: "Call & Check : visite chez {client_first_name} {when} : tout va bien.",
    },
    "visit_report_seen_concern": {
        EN: "Call & Check: {client_first_name} was visited {when}: the visitor noted a concern; "
            "the team is following it up.",
        PT: "Call & Check: visita a {client_first_name} {when}: o visitante notou uma "
            "preocupação; a equipa está a tratar do assunto.",
        PL: "Call & Check: {client_first_name}, wizyta {when}: odwiedzający zauważył coś "
            "niepokojącego; zespół się tym zajmuje.",
        FR: "Call & Check : visite chez {client_first_name} {when} : le visiteur a noté une "
            "inquiétude ; l'équipe s'en occupe.",
    },
    "visit_report_no_answer": {
        EN: "Call & Check: no answer at {client_first_name}'s door {when}; the team is "
            "checking.",
        PT: "Call & Check: visita a {client_first_name} {when}: ninguém abriu a porta; a equipa "
            "está a verificar.",
        PL: "Call & Check: {client_first_name}, wizyta {when}: nikt nie otworzył drzwi; zespół "
            "to sprawdza.",
        FR: "Call & Check : visite chez {client_first_name} {when} : personne n'a ouvert ; "
            "l'équipe vérifie.",
    },
    "visit_report_declined": {
        EN: "Call & Check: our visitor called {when}; {client_first_name} preferred not to have "
            "a visit this time. We will call again as planned.",
        PT: "Call & Check: visita a {client_first_name} {when}: desta vez preferiu não receber "
            "a visita. Voltamos como previsto.",
        PL: "Call & Check: {client_first_name}, wizyta {when}: tym razem bez wizyty, zgodnie "
            "z życzeniem. Przyjdziemy ponownie zgodnie z planem.",
        FR: "Call & Check : visite chez {client_first_name} {when} : pas de visite cette fois, "
            "à sa demande. Nous repasserons comme prévu.",
    },
    "visit_report_away": {
        EN: "Call & Check: our visitor called {when}; {client_first_name} was away from home. "
            "We will call again as planned.",
        PT: "Call & Check: visita a {client_first_name} {when}: estava fora de casa. Voltamos "
            "como previsto.",
        PL: "Call & Check: {client_first_name}, wizyta {when}: nieobecność w domu. Przyjdziemy "
            "ponownie zgodnie z planem.",
        FR: "Call & Check : visite chez {client_first_name} {when} : absent(e) de son domicile. "
            "Nous repasserons comme prévu.",
    },
    # --- Alerts to designated contacts, for needs routed to them (outreach/escalations) -------
    # Each asks for an acknowledgement: "OK" (or SIM/TAK/OUI) takes ownership; unanswered, the
    # routing rule's fallback (the coordinator by default) is told when the SLA runs out.
    "alert_fall": {
        EN: "{client_first_name}: a fall has been reported. Reply OK if you are dealing with "
            "it; if not, Call & Check will follow it up.",
        PT: "{client_first_name}: foi comunicada uma queda. Responda OK se vai tratar do "
            "assunto; se não, o Call & Check trata.",
        PL: "{client_first_name}: zgłoszono upadek. Odpisz OK, jeśli się tym zajmiesz; jeśli "
            "nie, zajmie się tym Call & Check.",
        FR: "{client_first_name} : une chute a été signalée. Répondez OK si vous vous en "
            "occupez ; sinon, Call & Check s'en charge.",
    },
    "alert_no_answer": {
        EN: "{client_first_name}: no answer at the door when our visitor called. Reply OK if "
            "you are checking; if not, Call & Check will.",
        PT: "{client_first_name}: ninguém abriu a porta ao nosso visitante. Responda OK se vai "
            "verificar; se não, o Call & Check verifica.",
        PL: "{client_first_name}: nikt nie otworzył drzwi podczas wizyty. Odpisz OK, jeśli to "
            "sprawdzisz; jeśli nie, sprawdzi Call & Check.",
        FR: "{client_first_name} : personne n'a ouvert à notre visiteur. Répondez OK si vous "
            "vérifiez ; sinon, Call & Check s'en charge.",
    },
    "alert_no_response": {
        EN: "{client_first_name}: no reply to today's check-in text. Reply OK if you are "
            "checking; if not, Call & Check will.",
        PT: "{client_first_name}: sem resposta à mensagem de hoje. Responda OK se vai "
            "verificar; se não, o Call & Check verifica.",
        PL: "{client_first_name}: brak odpowiedzi na dzisiejszego SMS-a. Odpisz OK, jeśli to "
            "sprawdzisz; jeśli nie, sprawdzi Call & Check.",
        FR: "{client_first_name} : pas de réponse au SMS du jour. Répondez OK si vous "
            "vérifiez ; sinon, Call & Check s'en charge.",
    },
    # Any other need routed to a contact; `what` is the kind of need (never its detail).
    "alert_need": {
        EN: "{client_first_name}: Call & Check has a concern ({what}). Reply OK if you are "
            "dealing with it; if not, we will.",
        PT: "{client_first_name}: o Call & Check tem uma preocupação ({what}). Responda OK se "
            "vai tratar do assunto; se não, tratamos nós.",
        PL: "{client_first_name}: Call & Check ma sprawę do załatwienia ({what}). Odpisz OK, "
            "jeśli się tym zajmiesz; jeśli nie, zajmiemy się my.",
        FR: "{client_first_name} : Call & Check a une inquiétude ({what}). Répondez OK si vous "
            "vous en occupez ; sinon, nous nous en chargeons.",
    },
    "alert_concern": {
        EN: "{client_first_name}: Call & Check has a concern. Reply OK if you are dealing with "
            "it; if not, we will.",
        PT: "{client_first_name}: o Call & Check tem uma preocupação. Responda OK se vai tratar "
            "do assunto; se não, tratamos nós.",
        PL: "{client_first_name}: Call & Check ma sprawę do załatwienia. Odpisz OK, jeśli się "
            "tym zajmiesz; jeśli nie, zajmiemy się my.",
        FR: "{client_first_name} : Call & Check a une inquiétude. Répondez OK si vous vous en "
            "occupez ; sinon, nous nous en chargeons.",
    },
    # --- The outcome of what the client told us, once its recipient resolved it ---------------
    "outcome": {
        EN: "Hello {first_name}, it's Call & Check. You told us about {what}: {who} has dealt "
            "with it. Text us if you still need help.",
        PT: "Olá {first_name}, é o Call & Check. Sobre {what}: {who} já tratou do assunto. "
            "Escreva-nos se precisar.",
        PL: "Dzień dobry {first_name}, tu Call & Check. Zgłoszenie ({what}) załatwił(a): "
            "{who}. Napisz, jeśli trzeba.",
        FR: "Bonjour {first_name}, ici Call & Check. Vous nous avez parlé de : {what}. {who} "
            "s'en est occupé. Écrivez-nous si besoin.",
    },
    "outcome_unnamed": {
        EN: "Hello {first_name}, it's Call & Check. What you told us about has been dealt with "
            "by {who}. Text us if you still need help.",
        PT: "Olá {first_name}, é o Call & Check. O que nos disse foi tratado por {who}. "
            "Escreva-nos se precisar.",
        PL: "Dzień dobry {first_name}, tu Call & Check. Twoje zgłoszenie załatwił(a): {who}. "
            "Napisz, jeśli nadal potrzebujesz pomocy.",
        FR: "Bonjour {first_name}, ici Call & Check. Ce dont vous nous avez parlé a été traité "
            "par {who}. Écrivez-nous si besoin.",
    },
    # --- Workshops: reminders the day before, offers, no-shows, the follow-up ---------------
    "workshop_reminder": {
        EN: "Hello {first_name}, a reminder: {workshop} is on {day} at {time}, {place}. "
            "See you there!",
        PT: "Olá {first_name}, lembrete: {workshop} é {day}, às {time}, {place}. Até lá!",
        PL: "Dzień dobry {first_name}, przypomnienie: {workshop}, {day} o {time}, {place}. "
            "Do zobaczenia!",
        FR: "Bonjour {first_name}, rappel : {workshop} le {day} à {time}, {place}. Nous vous "
            "attendons !",
    },
    # The morning of the session (08:30, or 2 hours before an early one): outreach/literacy/jobs
    "workshop_reminder_today": {
        EN: "Hello {first_name}, a reminder: {workshop} is today at {time}, {place}. "
            "See you there!",
        PT: "Olá {first_name}, lembrete: {workshop} é hoje, às {time}, {place}. Até já!",
        PL: "Dzień dobry {first_name}, przypomnienie: {workshop}, dziś o {time}, {place}. "
            "Do zobaczenia!",
        FR: "Bonjour {first_name}, rappel : {workshop} aujourd'hui à {time}, {place}. Nous vous "
            "attendons !",
    },
    # A place freed up for someone on the waiting list. YES (or SIM, TAK, OUI) takes it; the
    # 48 hours are literacy.services.OFFER_HOURS.
    "workshop_place_offered": {
        EN: "Hello {first_name}, a place is free on {workshop} starting {day} at {time}. "
            "Reply YES within 48 hours to take it.",
        PT: "Olá {first_name}, há uma vaga em {workshop}, a começar {day}, às {time}. "
            "Responda SIM em 48 horas.",
        PL: "{first_name}, jest wolne miejsce: {workshop}, start {day} o {time}. Odpisz TAK "
            "w ciągu 48 godzin.",
        FR: "Bonjour {first_name}, une place s'est libérée pour {workshop}, qui commence le "
            "{day} à {time}. Répondez OUI sous 48 heures pour la prendre.",
    },
    # Nobody marked them at a session: a friendly word and the next session, or none planned.
    "workshop_no_show": {
        EN: "Hello {first_name}, we missed you at {workshop}. The next session is on {day} at "
            "{time}, {place}. We hope to see you!",
        PT: "Olá {first_name}, sentimos a sua falta em {workshop}. Próxima sessão: {day}, às "
            "{time}, {place}.",
        PL: "{first_name}, szkoda, że nie było Cię: {workshop}. Następne zajęcia: {day} o "
            "{time}, {place}.",
        FR: "Bonjour {first_name}, vous nous avez manqué à {workshop}. Prochaine séance le "
            "{day} à {time}, {place}. Au plaisir de vous voir !",
    },
    "workshop_no_show_last": {
        EN: "Hello {first_name}, we missed you at {workshop}. We will be in touch about "
            "another session.",
        PT: "Olá {first_name}, sentimos a sua falta em {workshop}. Vamos contactar para outra "
            "sessão.",
        PL: "{first_name}, szkoda, że nie było Cię: {workshop}. Odezwiemy się w sprawie innych "
            "zajęć.",
        FR: "Bonjour {first_name}, vous nous avez manqué à {workshop}. Nous vous recontacterons "
            "pour une autre séance.",
    },
    # Four weeks after the workshop's last session; the digit is stored on the enrolment.
    "workshop_follow_up": {
        EN: "Hello {first_name}, it's 4 weeks since {workshop}. Have you used an online service "
            "since? Reply 1 yes, on my own; 2 yes, with help; 3 not yet",
        PT: "{first_name}, já usou um serviço online desde {workshop}? Responda 1 sim, "
            "sozinho(a); 2 sim, com ajuda; 3 ainda não",
        PL: "{first_name}, czy po kursie {workshop} korzystasz z usług online? Odpisz 1 tak, "
            "sam(a); 2 tak, z pomocą; 3 jeszcze nie",
        FR: "Bonjour {first_name}, depuis {workshop}, avez-vous utilisé un service en ligne ? "
            "Répondez 1 oui, seul(e) ; 2 oui, avec de l'aide ; 3 pas encore",
    },
    # --- The web self-report form: a per-client link (outreach/selfreport) --------------------
    "self_report_link": {
        EN: "Hello {first_name}, it's Call & Check. To tell us what you need, open this link: "
            "{link}",
        PT: "{first_name}, para nos dizer do que precisa, abra este link: {link} (Call & Check)",
        PL: "{first_name}, napisz nam, czego potrzebujesz, pod tym linkiem: {link} "
            "(Call & Check)",
        FR: "Bonjour {first_name}, ici Call & Check. Pour nous dire ce dont vous avez besoin : "
            "{link}",
    },
    # --- Outcome measures by text (outreach/evaluation): each is followed, in the same text,
    # by the first question (texts.replies.QUESTIONS / SATISFACTION).
    "survey_wellbeing_start": {
        EN: "Hello {first_name}, 7 short questions on how you are. Reply with a number, or SKIP "
            "to stop.",
        PT: "Olá {first_name}, 7 perguntas curtas sobre como está. Responda com um número, ou "
            "SALTAR para parar.",
        PL: "Dzień dobry {first_name}, 7 krótkich pytań o samopoczucie. Odpisz liczbą lub "
            "POMIŃ, by przerwać.",
        FR: "Bonjour {first_name}, 7 courtes questions sur votre moral. Répondez par un nombre, "
            "ou PASSER pour finir.",
    },
    "survey_satisfaction_start": {
        EN: "Hello {first_name}, one quick question.",
        PT: "Olá {first_name}, uma pergunta rápida.",
        PL: "Dzień dobry {first_name}, jedno krótkie pytanie.",
        FR: "Bonjour {first_name}, une petite question.",
    },
}

# Words put into a template's fields when the record leaves something blank.
WORDS: dict[str, dict[Language, str]] = {
    "appointment": {EN: "your appointment", PT: "a sua consulta", PL: "wizyta",
                    FR: "votre rendez-vous"},
}
