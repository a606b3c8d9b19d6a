"""The demo corpus's vocabulary: people, places, themes, bursts and sentence templates.

Everything here is data. Sentences are deliberately generic ("X met Y in Z to discuss the ceasefire"): no
quotation is ever attributed to a real person, and every page that uses them is labelled as fictional.

Template slots, filled left to right by :mod:`ingest.demo.corpus`:
``{A}`` ``{B}`` ``{C}`` a person of the article and ``{P:id}`` a named one (full name at the first
reference, then the surname or a title and surname), ``{A's}`` the same in the possessive, ``{place}``
``{place2}`` ``{country}`` ``{country2}`` from the theme, ``{n}`` a small number, ``{day}`` a weekday.
A template's topic tags say which topics its wording names (:data:`TOPIC_RULES`); ``tests/ingest/test_demo.py``
checks them. The ground truth of an article's topics is computed from its rendered body, not from the tags.
Person and topic ids are those of the default watchlist, ``ingest/data/watchlist.toml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache


@dataclass(frozen=True)
class Person:
    id: str
    full: str  # first reference
    surname: str  # later references
    title: str  # "President" -> "President Putin"; "" when no title form is used
    role: str  # "Russian President" -> "Russian President Vladimir Putin"
    alt_surname: str = ""  # a spelling one outlet uses (e.g. "Erdoğan")


PEOPLE: tuple[Person, ...] = (
    Person("putin", "Vladimir Putin", "Putin", "President", "Russian President"),
    Person("zelensky", "Volodymyr Zelensky", "Zelensky", "President", "Ukrainian President"),
    Person("netanyahu", "Benjamin Netanyahu", "Netanyahu", "Prime Minister", "Israeli Prime Minister"),
    Person("abbas", "Mahmoud Abbas", "Abbas", "President", "Palestinian President"),
    Person("trump", "Donald Trump", "Trump", "President", "US President"),
    Person("xi", "Xi Jinping", "Xi", "President", "Chinese President"),
    Person("macron", "Emmanuel Macron", "Macron", "President", "French President"),
    Person("merz", "Friedrich Merz", "Merz", "Chancellor", "German Chancellor"),
    Person("starmer", "Keir Starmer", "Starmer", "Prime Minister", "British Prime Minister"),
    Person("modi", "Narendra Modi", "Modi", "Prime Minister", "Indian Prime Minister"),
    Person("erdogan", "Recep Tayyip Erdogan", "Erdogan", "President", "Turkish President",
           alt_surname="Erdoğan"),
    Person("lula", "Luiz Inácio Lula da Silva", "Lula", "President", "Brazilian President"),
    Person("sisi", "Abdel Fattah el-Sisi", "Sisi", "President", "Egyptian President"),
    Person("ramaphosa", "Cyril Ramaphosa", "Ramaphosa", "President", "South African President"),
    Person("meloni", "Giorgia Meloni", "Meloni", "Prime Minister", "Italian Prime Minister"),
    Person("carney", "Mark Carney", "Carney", "Prime Minister", "Canadian Prime Minister"),
    Person("lavrov", "Sergei Lavrov", "Lavrov", "Foreign Minister", "Russian Foreign Minister"),
    Person("haniyeh", "Ismail Haniyeh", "Haniyeh", "", "Hamas political leader"),
)
PERSON = {p.id: p for p in PEOPLE}

# The topics the demo's wording names, with the ids of the default watchlist (ingest/data/watchlist.toml)
# and its rule shape: a topic is present when one `any` phrase occurs as whole words and, for each group in
# `all`, one of its phrases too. Only the phrases the templates actually use are listed.
TOPIC_RULES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = {
    "israel-gaza-war": (("war in Gaza", "Gaza war", "Israel-Gaza war"), ()),
    "gaza-ceasefire": (("ceasefire", "hostages"), (("Gaza", "Hamas", "Israel", "Israeli", "hostages"),)),
    "russia-ukraine-war": (("war in Ukraine", "Ukraine war", "Russia-Ukraine war"), ()),
    "ukraine-peace-talks": (("ceasefire", "negotiations", "peace talks"), (("Ukraine", "Ukrainian", "Kyiv", "Zelensky"),)),
    "palestinian-statehood": (("Palestinian state", "Palestinian statehood", "State of Palestine", "two-state solution"), ()),
    "sanctions": (("sanctions", "export controls"), ()),
    "elections": (("election", "elections", "voters", "turnout"), ()),
    "climate": (("climate finance", "climate summit", "emissions"), ()),
    "humanitarian-aid": (("aid convoys", "humanitarian aid"), ()),
    "g20": (("G20",), ()),
}


@cache
def _phrase_re(phrase: str) -> tuple[str, re.Pattern[str]]:
    words = re.split(r"[\s-]+", phrase)
    return words[0].lower(), re.compile(r"(?<!\w)" + r"[\s-]+".join(map(re.escape, words)) + r"(?!\w)", re.IGNORECASE)


def says(phrase: str, text: str, lowered: str | None = None) -> bool:
    """Whether the phrase occurs in the text as whole words (case-blind; a hyphen counts as a space)."""
    first, pattern = _phrase_re(phrase)
    if first not in (text.lower() if lowered is None else lowered):  # cheap test first: most phrases are absent
        return False
    return pattern.search(text) is not None


def topics_in(text: str, context: str = "") -> tuple[str, ...]:
    """The topic ids :data:`TOPIC_RULES` finds in a text, sorted; `all` groups may also be met in `context`
    (the headline), as the watchlist reads them over the whole article."""
    both = f"{context}\n{text}"
    low, both_low = text.lower(), both.lower()
    return tuple(sorted(t for t, (anyof, groups) in TOPIC_RULES.items()
                        if any(says(p, text, low) for p in anyof)
                        and all(any(says(p, both, both_low) for p in g) for g in groups)))


T = tuple[str, tuple[str, ...]]  # (template, topic ids it names)


@dataclass(frozen=True)
class Theme:
    name: str
    people: tuple[str, ...]  # first ones are the most likely protagonists
    places: tuple[str, ...]
    countries: tuple[str, ...]
    titles: tuple[T, ...]
    ledes: tuple[T, ...]
    sentences: tuple[T, ...]
    photo: str  # caption scene


@dataclass(frozen=True)
class Burst:
    """A stretch of heavy coverage: `extra` articles a day at its peak, on top of the background."""

    name: str
    theme: str
    start: date
    end: date  # inclusive
    extra: float


GAZA = Theme(
    "gaza",
    ("netanyahu", "abbas", "trump", "sisi", "erdogan",
     "macron", "starmer"),
    ("Cairo", "Doha", "Jerusalem", "Ramallah", "Washington", "Sharm el-Sheikh", "Amman"),
    ("Egypt", "Qatar", "Israel", "the United States", "Turkey", "Jordan"),
    (("{A} and {B} discuss Gaza ceasefire in {place}", ("gaza-ceasefire",)),
     ("Gaza ceasefire talks resume in {place} as {A} weighs new proposal", ("gaza-ceasefire",)),
     ("{A's} envoy heads to {place} for talks on the war in Gaza", ("israel-gaza-war",)),
     ("Mediators press {A} and {B} on next phase of Gaza ceasefire", ("gaza-ceasefire",)),
     ("{A} hosts {B} as pressure grows to end the Gaza war", ("israel-gaza-war",))),
    (("{A} met {B} in {place} on {day} to discuss the ceasefire in Gaza.", ("gaza-ceasefire",)),
     ("{A} and {B} held talks in {place} on {day} on ending the war in Gaza.", ("israel-gaza-war",)),
     ("Negotiators for {country} and {country2} met in {place} on {day} as {A} and {B} weighed a new "
      "ceasefire proposal.",
      ("gaza-ceasefire",))),
    (("Officials from {country} and {country2} are expected to continue talks next week.", ()),
     ("Mediators in {place} said a new round of ceasefire talks could begin within days.", ("gaza-ceasefire",)),
     ("{A} spoke with {B} by phone about humanitarian access, according to {A's} office.", ()),
     ("Aid agencies have repeatedly called for more crossings into the territory to be opened.", ()),
     ("The Gaza war has dominated regional diplomacy for more than two years.", ("israel-gaza-war",)),
     ("Delegations discussed the exchange of hostages and prisoners, officials said.", ()),
     ("{B} is expected to brief the cabinet on the talks later this week.", ()),
     ("The proposal under discussion would extend the ceasefire by {n} weeks.", ("gaza-ceasefire",)),
     ("Earlier rounds of talks in {place2} ended without an agreement.", ()),
     ("Officials said {n} aid convoys were waiting at the border on {day}.", ("humanitarian-aid",)),
     ("{C} is expected to discuss the war in Gaza with regional leaders later this month.", ("israel-gaza-war",)),
     ("Talks on a lasting ceasefire have stalled several times this year.", ("gaza-ceasefire",)),
     ("Several governments renewed calls for a path to a Palestinian state after the war.",
      ("palestinian-statehood",)),
     ("The talks are the first since the killing of {P:haniyeh} in July 2024 to include all the "
      "regional mediators.", ())),
    "at a meeting in {place}",
)

UKRAINE = Theme(
    "ukraine",
    ("zelensky", "putin", "trump", "macron", "merz", "starmer",
     "erdogan", "lavrov", "xi", "meloni"),
    ("Kyiv", "Moscow", "Istanbul", "Geneva", "Brussels", "Berlin", "Riyadh", "Helsinki"),
    ("Ukraine", "Russia", "the United States", "Turkey", "France", "Germany", "Saudi Arabia"),
    (("{A} and {B} meet in {place} over Ukraine ceasefire plan", ("ukraine-peace-talks",)),
     ("{A} and {B} to meet in {place} for talks on the war in Ukraine", ("russia-ukraine-war",)),
     ("European leaders meet {P:zelensky} ahead of {place} talks", ()),
     ("{A's} office confirms new round of talks on the Ukraine war", ("russia-ukraine-war",)),
     ("{A} and {B} discuss energy ceasefire", ("ukraine-peace-talks",))),
    (("{A} met {B} in {place} on {day} to discuss a ceasefire in Ukraine.", ("ukraine-peace-talks",)),
     ("{A} and {B} held talks in {place} on {day} about ending the war in Ukraine.", ("russia-ukraine-war",)),
     ("{A} travelled to {place} on {day} for talks with {B} on the Russia-Ukraine war.",
      ("russia-ukraine-war",))),
    (("Officials from {country} and {country2} are expected to continue talks next week.", ()),
     ("{A} spoke with {B} by phone on {day}, according to {A's} office.", ()),
     ("The proposal would begin with a {n}-day ceasefire on energy infrastructure.", ("ukraine-peace-talks",)),
     ("European governments discussed further sanctions on Russian oil exports.", ("sanctions",)),
     ("The Ukraine war is now in its fifth year.", ("russia-ukraine-war",)),
     ("{C's} office published a readout of the talks in {place2} on {day}.", ()),
     ("Prisoner exchanges have continued despite the fighting, officials said.", ()),
     ("{B} is expected to meet European defence ministers in {place2} later this month.", ()),
     ("Talks on a ceasefire along the front line have made little progress.", ("ukraine-peace-talks",)),
     ("Energy facilities in several regions were damaged overnight, local officials said.", ()),
     ("{C} discussed the war in Ukraine with European counterparts by phone.", ("russia-ukraine-war",)),
     ("The delegations exchanged draft documents on {day}, officials said.", ())),
    "during talks in {place}",
)

STATEHOOD = Theme(
    "statehood",
    ("abbas", "macron", "starmer", "netanyahu", "carney",
     "lula", "modi", "ramaphosa"),
    ("New York", "Paris", "London", "Ramallah", "Ottawa", "Brussels"),
    ("France", "the United Kingdom", "Canada", "Saudi Arabia", "Brazil", "South Africa"),
    (("{A} and {B} discuss recognition of a Palestinian state", ("palestinian-statehood",)),
     ("{A} to set out position on Palestinian statehood in {place}", ("palestinian-statehood",)),
     ("Recognition of the State of Palestine tops agenda as {A} meets {B}", ("palestinian-statehood",))),
    (("{A} met {B} in {place} on {day} to discuss recognition of a Palestinian state.",
      ("palestinian-statehood",)),
     ("{A} and {B} held talks in {place} on {day} on Palestinian statehood.", ("palestinian-statehood",))),
    (("Officials from {country} and {country2} are expected to coordinate their positions next week.", ()),
     ("More than {n} governments have said they support a two-state solution.", ("palestinian-statehood",)),
     ("{C} is expected to address the issue at the United Nations later this month.", ()),
     ("Diplomats said the recognition of the State of Palestine could come in stages.",
      ("palestinian-statehood",)),
     ("{B} was briefed on the discussions, according to {B's} office.", ()),
     ("The debate over Palestinian statehood has divided European governments.", ("palestinian-statehood",)),
     ("Several delegations linked the issue to a lasting ceasefire in Gaza.", ("gaza-ceasefire",)),
     ("A conference on the two-state solution was held in {place2} earlier this year.", ()),
     ("{A} also met representatives of {country} on the sidelines.", ())),
    "at the United Nations in {place}",
)

SANCTIONS = Theme(
    "sanctions",
    ("trump", "putin", "xi", "merz", "macron", "modi",
     "starmer", "meloni"),
    ("Brussels", "Washington", "Beijing", "New Delhi", "London", "Rome"),
    ("the European Union", "the United States", "China", "India", "Russia", "the United Kingdom"),
    (("Sanctions package on agenda as {A} meets {B}", ("sanctions",)),
     ("{A} and {B} discuss sanctions on Russian energy", ("sanctions",)),
     ("{A's} government weighs response to new sanctions", ("sanctions",))),
    (("{A} met {B} in {place} on {day} to discuss new sanctions.", ("sanctions",)),
     ("Officials discussed a new package of sanctions on {day} ahead of a meeting between {A} and {B}.",
      ("sanctions",))),
    (("Officials from {country} and {country2} are expected to continue talks next week.", ()),
     ("The package targets {n} companies accused of helping to evade earlier restrictions.", ()),
     ("{B} discussed the measures with trade ministers, according to {B's} office.", ()),
     ("Ministers in {place2} are expected to approve the sanctions later this month.", ("sanctions",)),
     ("Analysts said the measures could affect shipping insurers and oil traders.", ()),
     ("{C} discussed sanctions policy with partners by phone on {day}.", ("sanctions",)),
     ("Trade officials met in {place2} on {day} to review export controls.", ("sanctions",)),
     ("The measures are linked to the war in Ukraine, officials said.", ("russia-ukraine-war",))),
    "in {place}",
)

ELECTIONS = Theme(
    "elections",
    ("lula", "trump", "merz", "modi", "starmer",
     "macron", "carney"),
    ("Brasília", "São Paulo", "Rio de Janeiro", "Washington", "Berlin", "Ottawa"),
    ("Brazil", "the United States", "Germany", "India", "France", "Canada"),
    (("Election campaign in focus as {A} meets {B} in {place}", ("elections",)),
     ("{A} and {B} discuss election observers", ("elections",)),
     ("Voters prepare for election as {A} visits {place}", ("elections",))),
    (("{A} met {B} in {place} on {day} ahead of the election.", ("elections",)),
     ("{A} visited {place} on {day} as the election campaign entered its final weeks.",
      ("elections",))),
    (("Polls suggest a close race in several regions.", ()),
     ("Election officials said {n} million voters had registered.", ("elections",)),
     ("{B} was briefed on preparations for the vote, according to {B's} office.", ()),
     ("Observers from {country} and {country2} are expected to monitor the vote.", ()),
     ("A televised debate is scheduled in {place2} next week.", ()),
     ("{A} also discussed the economy and public spending with local officials.", ()),
     ("Turnout in the previous election was about {n} percent.", ("elections",)),
     ("Foreign governments including {C's} are expected to follow the results closely.", ())),
    "at a campaign rally in {place}",
)

CLIMATE = Theme(
    "climate",
    ("lula", "modi", "xi", "macron", "starmer",
     "ramaphosa", "carney", "meloni"),
    ("Belém", "Bonn", "Johannesburg", "New Delhi", "Paris", "Brasília"),
    ("Brazil", "India", "China", "South Africa", "the European Union", "Canada"),
    (("{A} and {B} discuss climate finance in {place}", ("climate",)),
     ("{A} arrives in {place} for climate summit", ("climate",)),
     ("Climate finance on agenda as {A} meets {B}", ("climate",))),
    (("{A} met {B} in {place} on {day} to discuss climate finance.", ("climate",)),
     ("{A} and {B} held talks in {place} on {day} on the climate summit agenda.", ("climate",))),
    (("Negotiators from {country} and {country2} are expected to continue talks next week.", ()),
     ("Delegates discussed a target of {n} billion dollars a year for adaptation.", ()),
     ("{B} discussed adaptation funding with delegates, according to {B's} office.", ()),
     ("The climate summit in {place2} ended a day later than planned.", ("climate",)),
     ("Forest protection was high on the agenda, officials said.", ()),
     ("{C} is expected to review emissions targets with ministers next month.", ("climate",)),
     ("Observers said the final text was weaker than earlier drafts.", ())),
    "at the summit venue in {place}",
)

SUMMIT = Theme(
    "summit",
    ("ramaphosa", "modi", "xi", "lula", "macron",
     "starmer", "merz", "erdogan", "meloni", "carney", "trump"),
    ("Johannesburg", "Pretoria", "Cape Town", "New Delhi"),
    ("South Africa", "India", "China", "Brazil", "Turkey", "the European Union"),
    (("{A} and {B} meet on G20 sidelines in {place}", ("g20",)),
     ("{P:ramaphosa} opens G20 leaders' summit in {place}", ("g20",)),
     ("Summit in {place} ends with call for a ceasefire in Ukraine", ("ukraine-peace-talks",))),
    (("{A} met {B} in {place} on {day} on the sidelines of the G20 leaders' summit.", ("g20",)),
     ("{A} arrived in {place} on {day} for the G20 summit, which opened with a session on debt relief.",
      ("g20",))),
    (("Leaders discussed debt relief, trade and food security, officials said.", ()),
     ("{B} and {C} also held a short bilateral meeting, according to {C's} office.", ()),
     ("The final declaration called for a ceasefire in Ukraine.", ("ukraine-peace-talks",)),
     ("Delegations from {country} and {country2} met separately on trade.", ()),
     ("The declaration mentioned the war in Gaza in a single paragraph.", ("israel-gaza-war",)),
     ("The next summit is due to be held in {place2}.", ()),
     ("Ministers spent {n} hours negotiating the text of the final declaration.", ()),
     ("Climate finance was discussed on the second day, officials said.", ("climate",))),
    "at the leaders' summit in {place}",
)

THEMES: dict[str, Theme] = {t.name: t for t in (GAZA, UKRAINE, STATEHOOD, SANCTIONS, ELECTIONS, CLIMATE, SUMMIT)}
# Background shares when no burst is running.
BACKGROUND: tuple[tuple[str, float], ...] = (
    ("gaza", 0.26), ("ukraine", 0.30), ("statehood", 0.07), ("sanctions", 0.14), ("elections", 0.10),
    ("climate", 0.10),
)  # the G20 summit theme only runs in its burst

BURSTS: tuple[Burst, ...] = (
    Burst("Istanbul talks on Ukraine", "ukraine", date(2025, 6, 2), date(2025, 6, 8), 5.0),
    Burst("Palestinian statehood week at the UN", "statehood", date(2025, 9, 19), date(2025, 9, 28), 6.0),
    Burst("Gaza ceasefire negotiations", "gaza", date(2025, 10, 3), date(2025, 10, 19), 10.0),
    Burst("Climate summit in Belém", "climate", date(2025, 11, 10), date(2025, 11, 21), 4.0),
    Burst("G20 leaders' summit", "summit", date(2025, 11, 21), date(2025, 11, 24), 8.0),
    Burst("Geneva ceasefire talks on Ukraine", "ukraine", date(2026, 2, 16), date(2026, 3, 6), 7.0),
    Burst("New sanctions package", "sanctions", date(2026, 5, 11), date(2026, 5, 17), 4.0),
    Burst("Brazilian general election", "elections", date(2026, 9, 26), date(2026, 10, 27), 3.5),
)

# Sentences with no people, place or topic: they pad paragraphs the way wire copy does.
FILLERS: tuple[str, ...] = (
    "The meeting lasted about two hours, officials said.",
    "No joint statement was issued after the talks.",
    "Further details were not immediately available.",
    "Both sides described the discussions as frank.",
    "A spokesperson declined to comment on the timing of the next meeting.",
    "The talks took place behind closed doors.",
    "Officials said technical teams would continue working over the weekend.",
    "The agenda also included trade and energy security.",
    "It was not immediately clear whether a follow-up meeting had been scheduled.",
    "Diplomats said the atmosphere had improved since the previous round.",
    "Reporters were not allowed into the room.",
    "Earlier in the day, ministers held a separate session on logistics.",
    "The statement did not give a timetable.",
    "Security around the venue was tight.",
    "Officials cautioned that any agreement would take time to implement.",
    "Regional governments welcomed the resumption of contacts.",
)
# Appended when a person named in the headline has not been named in the body: real copy always names them.
ALSO_BRIEFED = "{P:%s} was also briefed on the talks, officials said."
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Invented reporters and photographers; any resemblance to a real person is a coincidence.
FIRST_NAMES = ("Ana", "Tomas", "Leila", "Marcus", "Ines", "Jonah", "Priya", "Karel", "Mira", "Felix", "Ruth",
               "Oskar", "Dalia", "Henrik", "Sofia", "Yusuf", "Clara", "Mateo", "Noor", "Eliot")
LAST_NAMES = ("Varga", "Holloway", "Quint", "Amsel", "Torvik", "Bellweather", "Ostrander", "Caldera", "Finch",
              "Marlowe", "Penhallow", "Strand", "Iriarte", "Kessler", "Lindqvist", "Okafor", "Drummond", "Sayer")
