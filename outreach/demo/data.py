"""Fictional names, places and notes for `outreach seed-demo`.

Everything here is invented. Surnames common in Jersey and in its Portuguese (mostly Madeiran),
Polish and French communities are combined at random with first names of the right generation,
and streets are made up, so no record describes a real person or a real address.
"""

from __future__ import annotations

from outreach.enums import Language

# How many of the 40 demo clients prefer each language.
LANGUAGE_MIX = {Language.ENGLISH: 24, Language.PORTUGUESE: 7, Language.POLISH: 5,
                Language.FRENCH: 4}
# How many of them, by language, also get a daily check-in text (all with fictional numbers).
SMS_CHECK_INS = {Language.ENGLISH: 2, Language.PORTUGUESE: 1, Language.POLISH: 1,
                 Language.FRENCH: 1}

# First names of people born 1930-1955, by language and sex.
OLDER_FIRST_NAMES = {
    Language.ENGLISH: {
        "f": ["Margaret", "Joan", "Dorothy", "Patricia", "Brenda", "Sheila", "Maureen", "Eileen",
              "Pauline", "Valerie", "Jean", "Audrey", "Irene", "Sylvia", "Marjorie", "Doreen"],
        "m": ["Harold", "Kenneth", "Ronald", "Derek", "Brian", "Gerald", "Leonard", "Roy",
              "Trevor", "Dennis", "Cyril", "Frank", "Geoffrey", "Norman"],
    },
    Language.PORTUGUESE: {
        "f": ["Maria", "Conceição", "Fátima", "Graça", "Lurdes", "Rosa"],
        "m": ["José", "Manuel", "António", "Agostinho", "Fernando", "João"],
    },
    Language.POLISH: {
        "f": ["Halina", "Krystyna", "Danuta", "Barbara", "Zofia", "Irena"],
        "m": ["Zbigniew", "Stanisław", "Tadeusz", "Henryk", "Jerzy", "Kazimierz"],
    },
    Language.FRENCH: {
        "f": ["Colette", "Monique", "Yvette", "Josette", "Simone", "Odette"],
        "m": ["Marcel", "Jean-Claude", "Gérard", "Bernard", "René", "Lucien"],
    },
}

# First names of their children's generation, for designated contacts.
YOUNGER_FIRST_NAMES = {
    Language.ENGLISH: {
        "f": ["Sarah", "Karen", "Emma", "Lisa", "Nicola", "Joanne", "Rachel", "Helen"],
        "m": ["Michael", "David", "James", "Paul", "Steven", "Mark", "Andrew", "Richard"],
    },
    Language.PORTUGUESE: {
        "f": ["Ana", "Carla", "Sandra", "Sónia", "Patrícia"],
        "m": ["Paulo", "Ricardo", "Nuno", "Sérgio", "Luís"],
    },
    Language.POLISH: {
        "f": ["Agnieszka", "Magdalena", "Katarzyna", "Joanna", "Ewa"],
        "m": ["Piotr", "Tomasz", "Marek", "Paweł", "Krzysztof"],
    },
    Language.FRENCH: {
        "f": ["Sophie", "Nathalie", "Céline", "Isabelle", "Sandrine"],
        "m": ["Julien", "Olivier", "Laurent", "Thierry", "Nicolas"],
    },
}

# Surnames as (masculine, feminine): they differ only in Polish.
SURNAMES = {
    Language.ENGLISH: [(s, s) for s in (
        "Le Brun", "Renouf", "Le Feuvre", "Vibert", "Pallot", "Hamon", "Gallichan", "Le Quesne",
        "Mauger", "Journeaux", "Ahier", "Le Gresley", "Bisson", "Falle", "Perchard", "Turner",
        "Whitfield", "Crowther", "Ashby", "Thornbury", "Le Cornu", "de Gruchy", "Binet", "Norman",
    )],
    Language.PORTUGUESE: [(s, s) for s in (
        "Freitas", "Gouveia", "Rodrigues", "Abreu", "Teixeira", "Nóbrega", "Camacho", "Pestana",
    )],
    Language.POLISH: [
        ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Zieliński", "Zielińska"),
        ("Nowak", "Nowak"), ("Wójcik", "Wójcik"), ("Kamiński", "Kamińska"),
        ("Lewandowski", "Lewandowska"),
    ],
    Language.FRENCH: [(s, s) for s in (
        "Lemoine", "Rouxel", "Gautier", "Lebreton", "Guérin", "Hervé",
    )],
}

# A designated contact's relationship, keyed by the contact's sex; family share the surname.
FAMILY = {"f": ["daughter", "daughter", "niece", "granddaughter", "daughter-in-law"],
          "m": ["son", "son", "nephew", "grandson", "son-in-law"]}
NOT_FAMILY = ["neighbour", "friend", "carer", "neighbour"]

# Made-up streets, by parish; each parish is one round.
STREETS = {
    "St Helier": ["Clos des Tilleuls", "Rue du Puits Vert", "Belle Vue Terrace",
                  "Harbour View Mews", "Rue des Violettes", "Chestnut Court"],
    "St Brelade": ["Rue des Mielles Dorées", "Clos de l'Ouest", "Sandpiper Close",
                   "Rue du Moulin Bleu", "Chemin des Goélands"],
    "Trinity": ["Rue des Pommiers", "La Ruette des Vaches", "Chemin des Hêtres",
                "Rue de la Croix Verte", "Orchard Lane"],
}

ACCESS_NOTES = [
    "Key safe by back door, code from coordinator.",
    "Ring twice and wait: walks with a frame and takes a while to reach the door.",
    "Hard of hearing: knock on the kitchen window at the side.",
    "Friendly dog in the front garden; keep the gate shut.",
    "Flat on the first floor; entry phone is broken, use the side door.",
    "Prefers visits before 11:00; rests in the afternoon.",
    "Daughter has a spare key; do not leave parcels on the step.",
    "Partially sighted: say who you are before coming in.",
]

ORGANISATIONS = {
    # key: (name, kind, email); each also gets a fictional phone number
    "operator": ("Jersey Post Call & Check", "operator", "callandcheck@demo.example.org"),
    "gp": ("Maison Verte Medical Practice", "health", "reception@maisonverte.example.org"),
    "pharmacy": ("Les Ruettes Pharmacy", "health", "dispensary@lesruettes.example.org"),
    "food_bank": ("Island Larder Food Bank", "community", "help@islandlarder.example.org"),
    "transport": ("Ride Along Community Transport", "community",
                  "bookings@ridealong.example.org"),
    "charity": ("Older Islanders Together", "community", "advice@olderislanders.example.org"),
    # The Get Online workshops' partner: lends its hall and tells its tenants about them.
    "housing": ("Rue Verte Housing Association", "community",
                "tenants@rueverte.example.org"),
}

PROGRAMMES = {
    # key: (name, kind, description)
    "call_and_check": (
        "Call & Check", "call_and_check",
        "Postal workers make a short doorstep visit on their round: deliver prescriptions, "
        "remind about appointments, ask a few questions and pass on any concern.",
    ),
    "get_online": (
        "Get Online", "digital_literacy",
        "Friendly small-group sessions on using a phone or tablet, booking GP appointments "
        "and viewing your own health record.",
    ),
}

# Demo staff with logins: (email local part, role, full name, organisation key, table label).
USERS = [
    ("admin", "admin", "Alex Renouf", "operator", "admin"),
    ("coordinator", "coordinator", "Claire Vibert", "operator", "coordinator"),
    ("coordinator2", "coordinator", "Tomasz Nowicki", "operator", "coordinator"),
    ("visitor.sthelier", "visitor", "Mark Le Sueur", "operator", "visitor (St Helier round)"),
    ("visitor.stbrelade", "visitor", "Ana Correia", "operator", "visitor (St Brelade round)"),
    ("visitor.trinity", "visitor", "Paul Le Maistre", "operator", "visitor (Trinity round)"),
    ("gp", "provider", "Dr Sophie Amy", "gp", "provider (GP practice)"),
    ("pharmacy", "provider", "Rui Baptista", "pharmacy", "provider (pharmacy)"),
    ("foodbank", "provider", "Jenny Syvret", "food_bank", "provider (food bank)"),
    ("tutor", "tutor", "Daniel Querée", "operator", "tutor (Get Online)"),
]

# One round per parish: (parish, visitor's email local part, ISO weekdays, number of clients).
ROUNDS = [
    ("St Helier", "visitor.sthelier", (1, 2, 3, 4, 5), 16),
    ("St Brelade", "visitor.stbrelade", (1, 2, 3, 4, 5), 13),
    ("Trinity", "visitor.trinity", (1, 3, 5), 11),
]

# --- Call & Check: plans, appointments, prescriptions and recent visits -----------------------

# How the 40 demo clients are visited: most every day the round runs, some on chosen days,
# a few once a week or once a fortnight.
PLAN_MIX = {"daily": 26, "weekdays": 7, "weekly": 4, "fortnightly": 3}
PLANS_START = "2025-01-06"  # the Monday the demo programme started visiting

APPOINTMENTS = [
    # (with whom, where)
    ("Eye clinic", "General Hospital, outpatients"),
    ("Dr Sophie Amy", "Maison Verte Medical Practice"),
    ("Practice nurse: blood test", "Maison Verte Medical Practice"),
    ("Hearing aid check", "Audiology, Overdale"),
    ("Physiotherapy", "Physiotherapy department, General Hospital"),
    ("Diabetes review", "Maison Verte Medical Practice"),
    ("Chiropodist", "Community foot clinic, Les Quennevais"),
    ("Dentist", "Seaview Dental Surgery"),
]

PRESCRIPTIONS = [
    "Repeat prescription, 1 bag",
    "Blister pack for the week",
    "Repeat prescription, 2 bags (one from the fridge)",
    "Inhalers and repeat tablets",
    "Eye drops and repeat tablets",
    "Pain relief patches, 4 weeks",
]

# Concerns passed on during recent visits: (need category, severity, what the visitor wrote).
CONCERNS = [
    ("food_or_shopping", "soon", "Fridge nearly empty; no one to do the shopping this week."),
    ("loneliness", "routine", "Says she has not spoken to anyone since Sunday."),
    ("home_or_heating", "soon", "Heating not working, using the oven to keep warm."),
    ("pain_or_illness", "soon", "Bad cough for a week, has not called the surgery."),
    ("transport", "routine", "Needs a lift to the eye clinic next week."),
    ("fall", "urgent", "Had a fall in the kitchen yesterday; bruised arm, says she is fine."),
]

VISIT_NOTES = ["", "", "", "Cheerful, was in the garden.", "Daughter visiting today.",
               "Reminded about the appointment.", "Asked to pass on thanks to the pharmacy."]

# --- A year of history (demo_history) --------------------------------------------------------

# Former clients, who left during the year: (full name, language, sex, parish, date of birth,
# days before the demo's load they enrolled and left, why they left, whether they got
# check-in texts). Invented like the rest; their numbers are in the drama range too.
FORMER_CLIENTS = [
    ("Winifred Le Marquand", "en", "f", "St Helier", "1931-04-17", 610, 250,
     "Moved into residential care", True),
    ("Albert Querée", "en", "m", "Trinity", "1933-09-02", 540, 120, "Died", False),
    ("Filomena Jardim", "pt", "f", "St Brelade", "1940-02-11", 480, 70,
     "No longer wanted visits", True),
    ("Raymond Syvret", "en", "m", "St Helier", "1936-06-23", 700, 300,
     "Moved to live with family in England", False),
]

# Concerns passed on at the door over the year: (category, severity, what the visitor wrote).
YEAR_CONCERNS = [
    ("fall", "urgent", "Found on the floor in the hall; helped up, says nothing hurts."),
    ("fall", "soon", "Tripped on the back step last week; knee still swollen."),
    ("pain_or_illness", "soon", "Chesty cough and short of breath on the stairs."),
    ("pain_or_illness", "routine", "Sore hip, sleeping badly; would like the GP to ring."),
    ("medication", "soon", "Tablets from two old packs mixed up in the dosette box."),
    ("medication", "routine", "Running low on eye drops; repeat not ordered."),
    ("food_or_shopping", "soon", "Cupboards almost bare; son away for work."),
    ("food_or_shopping", "routine", "Finds the big shop hard since giving up the car."),
    ("transport", "routine", "Needs a lift to the hospital for a scan next week."),
    ("home_or_heating", "soon", "Boiler keeps cutting out; the house is cold."),
    ("home_or_heating", "routine", "Bathroom light broken; cannot reach to change it."),
    ("money", "routine", "Worried about the winter fuel bill; unsure what help there is."),
    ("loneliness", "routine", "Has not been out of the house for a fortnight."),
    ("loneliness", "routine", "Misses the lunch club since it moved."),
    ("personal_care", "soon", "Struggling to get in and out of the bath."),
    ("safeguarding", "soon", "A stranger has called twice offering to do the roof for cash."),
    ("other", "routine", "Hearing aid needs new batteries; asked who supplies them."),
]

# Needs told by text over the year, in the client's words: (category, severity, what was said).
YEAR_TEXTS = [
    ("medication", "soon", "No tablets left for tomorrow"),
    ("food_or_shopping", "soon", "Can someone get me milk and bread"),
    ("transport", "routine", "Need a lift to the clinic Thursday"),
    ("pain_or_illness", "soon", "Back very bad today"),
    ("loneliness", "routine", "Feeling low, nobody has rung this week"),
    ("home_or_heating", "urgent", "No heating and it is freezing"),
    ("money", "routine", "Letter about my pension I do not understand"),
]

# What each recipient wrote when they closed a year's escalation, by need category.
YEAR_OUTCOMES = {
    "fall": "Seen by the practice nurse; a falls assessment booked.",
    "pain_or_illness": "GP rang and arranged an appointment.",
    "medication": "Pharmacist sorted the tablets into a new blister pack.",
    "food_or_shopping": "Food parcel delivered and a weekly delivery set up.",
    "transport": "Lift booked there and back.",
    "home_or_heating": "Landlord's engineer fixed it the next day.",
    "money": "Benefits check done; a heating grant applied for.",
    "loneliness": "Introduced to the Tuesday lunch club; a befriender calls weekly.",
    "personal_care": "Occupational therapist visited; a bath seat fitted.",
    "safeguarding": "Spoke to the client and her son; the police were told.",
    "other": "Sorted out on the telephone.",
    "no_answer": "Daughter called round: she was fine, had been asleep.",
    "no_response": "Rang her: she had left the phone upstairs.",
    "missed_visit": "The visitor was off sick; a colleague called the next day.",
}
