"""The words that give an inbound text its meaning, in English, Portuguese, Polish and French.

Texts are compared folded (`fold`): case, accents, spacing and trailing punctuation do not
matter, so "Queda!", "QUEDA" and "queda" are one word and "upadłam" matches "upad*". Carrier
words (STOP, START, HELP...) count only when the text says nothing else (see carrier_words);
need words count anywhere in the text, as whole words.

In the need tables a word ending in `*` is a stem (Polish inflects: upadłam, upadłem, upadek),
and a word with a space is a phrase of whole words. A word belongs to one category only, and
none may be a carrier word (tests check both).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from outreach.enums import InboundMeaning, Language, NeedCategory, NeedSeverity
from outreach.messages import carrier_words, number_words

EN, PT, PL, FR = Language.ENGLISH, Language.PORTUGUESE, Language.POLISH, Language.FRENCH

# Letters that do not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
                               "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"})
_WORD = re.compile(r"[^\W_]+")

# The words carriers (and Twilio) act on, and ours in each language: see carrier_words.
CARRIER_WORDS: dict[str, InboundMeaning] = {
    word: entry.meaning for word, entry in carrier_words.WORDS.items()}
CHECK_IN_DIGITS = ("1", "2", "3")

SEVERITY: dict[NeedCategory, NeedSeverity] = {
    NeedCategory.FALL: NeedSeverity.URGENT,
    NeedCategory.SAFEGUARDING: NeedSeverity.URGENT,
    NeedCategory.PAIN_OR_ILLNESS: NeedSeverity.SOON,
    NeedCategory.MEDICATION: NeedSeverity.SOON,
    NeedCategory.FOOD_OR_SHOPPING: NeedSeverity.SOON,
    NeedCategory.HOME_OR_HEATING: NeedSeverity.SOON,
    NeedCategory.PERSONAL_CARE: NeedSeverity.SOON,
    NeedCategory.TRANSPORT: NeedSeverity.ROUTINE,
    NeedCategory.MONEY: NeedSeverity.ROUTINE,
    NeedCategory.LONELINESS: NeedSeverity.ROUTINE,
    NeedCategory.DIGITAL_HELP: NeedSeverity.ROUTINE,
}
_RANK = {NeedSeverity.URGENT: 0, NeedSeverity.SOON: 1, NeedSeverity.ROUTINE: 2}

# Left out on purpose: "help"/"ajuda" (carrier word, or says nothing about what is needed),
# "phone" (people write "please phone me": that is a call, not digital help), French "pain"
# (bread, but English pain), "bill" and "sam" (names), "tablet" for pills (a device too).
WORDS: dict[NeedCategory, dict[Language, tuple[str, ...]]] = {
    NeedCategory.FALL: {
        EN: ("fall", "falls", "fallen", "fell", "tripped", "collapsed", "on the floor",
             "cant get up", "can t get up"),
        PT: ("queda", "quedas", "cai", "caiu", "cair", "tropecei", "no chao"),
        PL: ("upad*", "przewroc*", "wywroc*"),
        FR: ("tombe", "tombee", "tomber", "chute*", "par terre"),
    },
    NeedCategory.SAFEGUARDING: {
        EN: ("abuse*", "scam*", "fraud*", "threat*", "unsafe", "afraid", "scared",
             "frightened", "robbed", "stolen", "stole", "bullied", "bully"),
        PT: ("abuso*", "burla*", "fraude", "ameac*", "roub*", "medo", "inseguro", "insegura"),
        PL: ("przemoc*", "oszust*", "oszuk*", "grozi", "groza", "grozb*", "okrad*", "ukradl*",
             "boje sie", "bije", "bija", "znecan*"),
        FR: ("maltrait*", "arnaque*", "escroc*", "menace*", "vole", "volee", "peur", "danger"),
    },
    NeedCategory.PAIN_OR_ILLNESS: {
        EN: ("pain", "pains", "painful", "ill", "illness", "sick", "unwell", "poorly", "hurt",
             "hurts", "hurting", "ache", "aches", "aching", "headache", "fever", "dizzy",
             "vomit*", "breathless"),
        PT: ("dor", "dores", "doente", "doenca", "febre", "tonto", "tonta", "tonturas", "mal",
             "doi", "indisposto", "indisposta"),
        PL: ("bol", "boli", "bola", "bolesn*", "bolal*", "chory", "chora", "chorob*",
             "goraczk*", "zle sie czuje", "slabo", "slaby", "slaba", "wymiot*", "zawrot*"),
        FR: ("douleur*", "malade*", "maladie", "fievre", "vertige*", "vomi*", "souffr*"),
    },
    NeedCategory.MEDICATION: {
        EN: ("meds", "medicine*", "medication*", "prescription*", "tablets", "pill", "pills",
             "pharmacy", "chemist", "inhaler", "insulin*"),
        PT: ("medicament*", "remedio*", "receita*", "comprimido*", "farmacia"),
        PL: ("lek", "leki", "lekow", "lekarstw*", "recept*", "tabletk*", "aptek*"),
        FR: ("ordonnance*", "pharmacie", "comprime*", "cachet*", "pilule*"),
    },
    NeedCategory.FOOD_OR_SHOPPING: {
        EN: ("food", "hungry", "shopping", "groceries", "meal*", "bread", "milk", "eat",
             "eating"),
        PT: ("comida", "fome", "compras", "refeic*", "mercearia", "pao", "leite", "comer"),
        PL: ("jedzeni*", "glod*", "zakup*", "sklep*", "posilek", "posilk*", "chleb*", "mleko",
             "jesc"),
        FR: ("nourriture", "faim", "courses", "repas", "manger", "epicerie", "lait"),
    },
    NeedCategory.HOME_OR_HEATING: {
        EN: ("heating", "heater", "cold", "boiler", "freezing", "radiator*", "electricity",
             "power cut", "leak*", "flood*", "roof", "gas"),
        PT: ("aquecimento", "aquecedor", "esquentador", "frio", "caldeira", "eletricidade",
             "electricidade", "fuga", "inundac*", "telhado"),
        PL: ("ogrzewani*", "zimno", "zimny", "zimna", "piec", "pieca", "piecyk*", "kaloryfer*",
             "grzejnik*", "prad", "pradu", "gaz", "gazu", "przeciek*", "cieknie", "zalan*"),
        FR: ("chauffage", "froid", "chaudiere", "radiateur*", "electricite", "fuite*",
             "inondation", "inonde*", "toit", "gele", "gelee"),
    },
    NeedCategory.PERSONAL_CARE: {
        EN: ("wash", "washing", "bath", "bathe", "shower", "dress", "dressing", "toilet",
             "care", "carer*"),
        PT: ("lavar", "banho", "duche", "vestir", "higiene", "sanita", "cuidador*", "cuidados"),
        PL: ("mycie", "myc", "umyc", "kapiel*", "prysznic*", "ubrac", "ubieran*", "toalet*",
             "higien*", "opiek*", "lazienk*"),
        FR: ("laver", "toilette", "douche", "bain", "habiller", "hygiene", "soins"),
    },
    NeedCategory.TRANSPORT: {
        EN: ("lift", "lifts", "transport*", "taxi", "bus", "ride"),
        PT: ("boleia", "taxi", "autocarro", "onibus"),
        PL: ("taksowk*", "autobus*", "podwiez*", "dojazd*"),
        FR: ("navette", "taxi", "bus"),
    },
    NeedCategory.MONEY: {
        EN: ("money", "bills", "rent", "debt*", "benefits", "pension"),
        PT: ("dinheiro", "contas", "renda", "divida*", "pensao"),
        PL: ("pieniadz*", "pieniedz*", "rachun*", "czynsz*", "dlug", "dlugow", "zadluz*",
             "emerytur*", "zasilek", "zasilku"),
        FR: ("argent", "facture*", "loyer", "dette*", "impaye*"),
    },
    NeedCategory.LONELINESS: {
        EN: ("lonely", "alone", "loneliness", "isolated"),
        PT: ("sozinho", "sozinha", "solidao", "solitari*", "isolad*"),
        PL: ("samotn*", "osamotnion*"),
        FR: ("seul", "seule", "solitude", "isole", "isolee"),
    },
    NeedCategory.DIGITAL_HELP: {
        EN: ("computer*", "laptop*", "internet*", "email*", "e mail", "wifi", "online", "ipad",
             "tablet", "smartphone*", "password*", "app", "website"),
        PT: ("computador*", "portatil", "senha", "aplicac*"),
        PL: ("komputer*", "haslo", "hasla", "aplikacj*", "smartfon*", "tabletu", "tabletem"),
        FR: ("ordinateur*", "courriel", "tablette", "mot de passe", "en ligne"),
    },
}


def fold(text: str) -> str:
    """`text` as compared: accents off, case-folded, spaces collapsed, no trailing punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = " ".join(plain.casefold().split())
    end = len(folded)
    while end and (unicodedata.category(folded[end - 1]).startswith("P") or folded[end - 1] == " "):
        end -= 1
    return folded[:end]


def words_of(text: str) -> list[str]:
    """The whole words of a folded text."""
    return _WORD.findall(text)


def carrier_meaning(folded: str) -> InboundMeaning | None:
    """Opt-out, opt-in or help when the whole (folded) text says only that (see
    carrier_words: "STOP", "Stop please", "STOP ALL", "Arrêt", "PARAR")."""
    found = carrier_words.carrier_word(folded)
    return found.meaning if found is not None else None


def check_in_digit(folded: str) -> str | None:
    """"1", "2" or "3" when the (folded) text answers with that number alone: in digits or
    words, among emoji, punctuation and words that add nothing ("2 👍", "3!!", "two", "dwa")."""
    answer = number_words.number_answer(folded)
    return str(answer) if answer is not None and str(answer) in CHECK_IN_DIGITS else None


def check_in_digit_among_words(folded: str) -> str | None:
    """"2" or "3" when that is the one number, in digits, of a longer (folded) text ("3 not
    well today"). Never "1": an OK read into a sentence could hide what the sentence says."""
    found = number_words.digit_among_words(folded)
    return str(found) if found in (2, 3) else None


# A designated contact taking on an alert: OK in any language, and yes in each of ours (but not
# YES itself, which the carriers keep for opting back in).
ACKNOWLEDGEMENTS = frozenset({"ok", "okay", "ok ok", "ok thanks", "ok thank you", "sim", "tak",
                              "oui", "d'accord", "daccord", "ok obrigado", "ok obrigada",
                              "ok dziekuje", "ok merci"})


def acknowledgement(folded: str) -> bool:
    """Whether the whole (folded) text says "OK, I am dealing with it"."""
    return folded in ACKNOWLEDGEMENTS


# Asking for a place on a digital-skills workshop: the word alone, as the carrier words are (a
# sentence mentioning learning is for a person to read).
LEARN_WORDS = frozenset({"learn", "aprender", "nauka", "apprendre"})
# Taking a workshop place offered from the waiting list: YES (also the carriers' opt-in word) or
# yes in each of our languages.
YES_WORDS = frozenset({"yes", "sim", "tak", "oui"})


def learn_keyword(folded: str) -> bool:
    """Whether the whole (folded) text asks to join a workshop (LEARN, APRENDER, NAUKA...)."""
    return folded in LEARN_WORDS


def says_yes(folded: str) -> bool:
    """Whether the whole (folded) text is yes, in any of our languages."""
    return folded in YES_WORDS


@dataclass(frozen=True)
class _Vocabulary:
    exact: frozenset[str]
    stems: tuple[str, ...]
    phrases: tuple[str, ...]

    def found_in(self, words: list[str], joined: str) -> bool:
        return (not self.exact.isdisjoint(words)
                or any(w.startswith(stem) for w in words for stem in self.stems)
                or any(f" {phrase} " in joined for phrase in self.phrases))


def _vocabulary(entries) -> _Vocabulary:
    exact, stems, phrases = set(), [], []
    for entry in entries:
        word = fold(entry.rstrip("*"))
        if entry.endswith("*"):
            stems.append(word)
        elif " " in word:
            phrases.append(word)
        else:
            exact.add(word)
    return _Vocabulary(frozenset(exact), tuple(stems), tuple(phrases))


_VOCABULARIES = {category: _vocabulary(w for words in by_language.values() for w in words)
                 for category, by_language in WORDS.items()}


def categories_in(text: str) -> list[NeedCategory]:
    """Every need category whose words appear in `text`, most severe first."""
    words = words_of(fold(text))
    joined = f" {' '.join(words)} "
    found = [c for c, vocabulary in _VOCABULARIES.items() if vocabulary.found_in(words, joined)]
    return sorted(found, key=lambda c: _RANK[SEVERITY[c]])  # stable: table order within a rank


@dataclass(frozen=True)
class NeedWords:
    """What a text was understood to be about: the need to raise, and everything it named."""

    category: NeedCategory
    severity: NeedSeverity
    named: tuple[NeedCategory, ...]


def need_in(text: str) -> NeedWords | None:
    """The most severe need `text` names, or None when it names none."""
    found = categories_in(text)
    if not found:
        return None
    return NeedWords(found[0], SEVERITY[found[0]], tuple(found))
