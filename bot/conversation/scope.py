"""Whether a red-flag phrase the rules found is about the patient, now, and meant literally.

A nurse reading "had a fever of 101 last week, fine now", "my dog had a seizure", "that
game nearly gave me a heart attack" or "dead tired" knows none of them needs a call. The
rules in `safety` find the phrase; this module reads its scope around it, by meaning:

- over: the text says the symptom has passed (or asks about one that might come);
- someone else: the nearest person or thing the text talks about before the phrase is a
  pet, an object, or someone outside the patient's family (a relative writing about the
  patient is in scope: "my mom can't breathe");
- figure of speech: the phrase is part of a figure people use ("gave me a heart attack",
  "stroke of luck", "me ahogo de calor", "a faint line");
- sports, social chat, greetings and celebrations: a phrase that has a figurative sense
  ("died", "killed", "passed out") in a clause about a game, a party or a holiday.

Scopes are read inside the phrase's sentence and clause ("my dog had a seizure but I
can't breathe" still counts). Self-harm is only ever scoped out as a fixed figure or when
it is about someone outside the family.
"""

from __future__ import annotations

import re

from bot.conversation import spoken
from bot.conversation.text import normalize

SELF_HARM, URGENT, BEREAVEMENT = "self_harm", "urgent", "bereavement"

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_CONJUNCTION = re.compile(r"\b(but|however|though|although|pero|aunque|sino)\b")
_AFTER_ENDS = re.compile(r"\b(but|pero|now|ahora|today|hoy|tonight|esta noche)\b")

# Over and done, or not happening: "had a fever last week", "ya se me quito", "what if".
_OVER = re.compile(
    r"\b((?<!than )last (week|month|year|time)|weeks ago|months ago|years ago|back then|"
    r"stopped (yesterday|last|on|this morning|after)|days ago|(?<!desde )hace \d+ dias|"
    r"(on|(?<!than )last|this past|in) (monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"weekend|january|february|march|april|may|june|july|august|september|october|november|"
    r"december|the spring|the summer|the fall|the winter)|when i was|as a kid|in (19|20)\d\d|"
    r"the other day|a while (ago|back)|turned out|resulto ser|(doc|doctor|they|er|nurse) said "
    r"(it was|its|it's|thats|that's)|el doctor dijo q?(ue)? (era|es)|el otro dia|"
    r"la semana pasada|el mes pasado|"
    r"el ano pasado|hace (un mes|meses|anos|una semana|dos semanas)|cuando era (nino|nina|"
    r"joven)|de (nino|nina))\b"
)
# It has passed: an emergency sign that passed still means calling the care team now.
_RESOLVED = re.compile(
    r"\b(gone now|went away|is gone|resolved|better now|fine now|ok now|okay now|good now|"
    r"normal now|all good now|back to normal|cleared up|went down|came down|fever broke|"
    r"healed|normal since|gone by|all better|feel(ing)? fine|went away on its own|it passed|"
    r"se me paso|ya estoy mejor|ya no (me )?duele|ya (se )?(me |le )?(quito|paso|bajo)|"
    r"ya estoy (bien|normal)|ya esta bien|ya (se )?(me |le )?mejoro|got better|ya se compuso)\b"
)
_HYPOTHETICAL = re.compile(
    r"\b(what if|if i (ever |get|start|have|had)|in case|watch (out )?for|look out for|signs of|"
    r"symptoms of|should i (call|go|worry) if|what (are|is) (the )?(signs|symptoms)|"
    r"warning signs|call about|what to look for|to watch for|(seria|serian|son) de emergencia|"
    r"vigile si|si (me )?(llego a|da|empiezo|tengo)|en caso de|senales de|sintomas de|"
    r"si algun dia|if (i|he|she) ever|someday)\b"
)

_SELF = r"i|im|i'm|i've|ive|i'd|me|my|myself|mine|yo|mi|mis|me"
_FAMILY = (
    r"mom|mum|mother|mama|mami|dad|father|papa|papi|husband|wife|hubby|partner|son|daughter|"
    r"brother|sister|grandma|grandpa|grandmother|grandfather|grandson|granddaughter|aunt|"
    r"uncle|boyfriend|girlfriend|fiance|esposo|esposa|marido|mujer|hijo|hija|hermano|"
    r"hermana|abuela|abuelo|tia|tio|nieto|nieta|suegra|suegro|patient|paciente"
)
_OTHER = (
    r"friend|friends|neighbor|neighbour|coworker|co worker|boss|roommate|classmate|teacher|"
    r"cousin|someone|somebody|guy|lady|woman|coach|player|players|actor|singer|"
    r"amigo|amiga|amigos|vecino|vecina|companero|companera|jefe|jefa|alguien|"
    r"primo|prima|muchacho|muchacha|jugador|jugadores"
)
_PET = (
    r"dog|dogs|doggo|puppy|pup|cat|cats|kitty|kitten|pet(?! scan)|bird|parrot|horse|hamster|bunny|"
    r"rabbit|fish|goldfish|perro|perra|perrito|perrita|gato|gata|gatito|gatita|mascota|"
    r"pajaro|loro|caballo|conejo|pez"
)
_THING = (
    r"phone|battery|car|truck|laptop|computer|tv|printer|wifi|internet|plant|plants|flowers|"
    r"garden|conversation|power|electricity|celular|telefono|bateria|carro|coche|"
    r"computadora|planta|plantas"
)
_MENTION = re.compile(
    rf"\b(?:(?P<owner>{_OTHER}|{_PET})'s |(?P<their>his|her|their) )?"
    rf"(?:(?P<self>{_SELF})|(?P<family>{_FAMILY})|(?P<other>{_OTHER})|(?P<pet>{_PET})|"
    rf"(?P<thing>{_THING}))\b"
)

_FIGURE = re.compile(
    r"\b((gave|give|giving|gives|have|having|had|nearly|almost|about to|gonna|going to|mini|"
    r"little) (me |us |him |her |you )?(a )?(heart attack|stroke)|stroke of (luck|genius)|"
    r"(back|breast|brush|golf|swim\w*) ?stroke|(laugh\w*|risa)\b.*\b(breath\w*|respirar|ahog\w*|"
    r"pass(ed)? out|faint\w*|die|dying|dead)|(breath\w*|respirar|ahog\w*|pass(ed)? out|faint)"
    r"\w*\b.*\b(laugh\w*|risa)|ahog\w* (de|en|con) (calor|trabajo|deudas|papeles|tarea\w*|"
    r"pendientes|comida)|(desmay\w*|muero) de (hambre|sueno|cansancio|risa|calor|aburrimiento)|"
    r"(a|the|very|so|only|slight|slightly|kinda) faint|faint (line|smell|sound|memory|idea|"
    r"hope|taste|colou?r|pink|yellow|rash|mark|scar|glow|light|voice|of heart)|"
    r"(power|lights|electricity|luz) (went out|blacked out|is out)|blackout|black(ed)? out "
    r"(the|my|our) (windows|curtains|dates|calendar)|emergency (contact|fund|kit|plan|number|"
    r"room bill)|family emergency|emergencia familiar|in case of (an )?emergency|"
    r"(glue|heat|nail|staple|water|nerf|squirt|top|shot|big|spray|paint) ?guns?|"
    r"guns? (collection|range|show|safe|license|club)|jump(ed)? the gun|son of a gun|"
    r"guns blazing|pistola de (agua|silicon\w*)|"
    r"arma de doble filo)\b"
)
# Words with a figurative sense in chat about games, parties and holidays.
_FIGURATIVE_CAPABLE = re.compile(
    r"heart attack|stroke|died|dead|death|killed|killing|infarto|emergenc|murio|muerto"
)
_SOCIAL = re.compile(
    r"\b(game|games|team|match|season|playoff\w*|super bowl|world cup|score|refs?|referee|"
    r"quarterback|inning\w*|overtime|touchdown|goal|tournament|league|football|soccer|"
    r"baseball|basketball|hockey|golf|bowling|poker|bingo|fantasy|party|concert|movie|show|"
    r"partido|equipo|liga|gol|futbol|beisbol|fiesta|pelicula|happy|merry|feliz|congrat\w*|"
    r"felicidades|birthday|cumpleanos|christmas|navidad|thanksgiving|new year|ano nuevo|"
    r"easter|pascua|halloween|graduation|wedding|boda|celebrat\w*)\b"
)
_CELEBRATION_EMOJI = re.compile("[\U0001f389\U0001f38a\U0001f973\U0001f382\U0001f384\U0001f983]")


def _sentence(text: str, norm: str, start: int, end: int) -> tuple[str, int, int]:
    """The normalised sentence holding norm[start:end], and the span inside it."""
    pieces = [spoken.digits(normalize(s)) for s in _SENTENCE.split(text)]
    pieces = [p for p in pieces if p]
    if " ".join(pieces) != norm:
        return norm, start, end
    offset = 0
    for piece in pieces:
        if offset + len(piece) >= end:
            return piece, start - offset, end - offset
        offset += len(piece) + 1
    return norm, start, end  # pragma: no cover - the pieces join to norm


def out_of_scope(text: str, norm: str, start: int, end: int, family: str) -> str | None:
    """Why the phrase norm[start:end] does not count, or None when it does."""
    sentence, s, e = _sentence(text, norm, start, end)
    before = _CONJUNCTION.split(sentence[:s])[-1]
    after = _CONJUNCTION.split(sentence[e:])[0]
    phrase = sentence[s:e]
    if _FIGURE.search(before[-40:] + phrase + after[:40]):
        return "figure of speech"
    if family == SELF_HARM:
        return None  # anyone's self-harm talk needs a person
    if _subject(norm[:start]) in ("pet", "thing", "other"):
        return "someone else"
    if family == URGENT:
        near_before = _AFTER_ENDS.split(before)[-1][-40:]
        near_after = _AFTER_ENDS.split(after)[0][:25]
        if _OVER.search(near_before + " " + phrase + " " + near_after):
            return "over"
        if _HYPOTHETICAL.search(sentence):
            return "over"
    social = _SOCIAL.search(before + " " + after) or _CELEBRATION_EMOJI.search(text)
    if social and _FIGURATIVE_CAPABLE.search(phrase):
        return "sports, chat or greeting"
    return None


def _subject(before: str) -> str | None:
    """Who the text last talked about before the phrase: self, family, other, pet, thing."""
    mentions = list(_MENTION.finditer(before))
    if not mentions:
        return None
    last = mentions[-1]
    kind = next(k for k in ("self", "family", "other", "pet", "thing") if last.group(k))
    if kind == "family" and (last.group("owner") or last.group("their")):
        return "other"  # a friend's husband, su esposo (of a friend): not our patient
    return kind


def resolved(text: str, norm: str, start: int, end: int) -> bool:
    """The text says the symptom has passed ("fine now", "ya se me quito")."""
    sentence, s, e = _sentence(text, norm, start, end)
    return bool(_RESOLVED.search(_AFTER_ENDS.split(sentence[:s])[-1] + " " + norm[end:]))
