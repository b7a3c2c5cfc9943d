"""Red flags by rule: texts that need a person now, not an article. English and Spanish.

Runs before any keyword or topic matching. A hit tells the patient to call 911 (988 for
self-harm) or their care team and flags the text for staff. This is one of two
independent detectors: the classifier in `understanding` is the other, and either one is
enough. The organ groups are what immunotherapy patients are told to call about at once.

A phrase negated just before it, inside its clause ("no chest pain", "no me falta el
aire"), does not count; one negation does not cancel a different red flag later in the
same text. A symptom the text says is over ("had a fever of 101 last week") does not count
either; a current one in the same text still does.
"""

from __future__ import annotations

import re
import re._parser as _regex_parser  # the stdlib's own regex parser: which words a rule needs
from dataclasses import dataclass
from itertools import takewhile
from re._constants import AT, BRANCH, LITERAL, SUBPATTERN

from bot.conversation import scope, spoken
from bot.conversation.text import negated, normalize
from bot.patients.status import Tier

URGENT, SELF_HARM, BEREAVEMENT = "urgent", "self_harm", "bereavement"

# Misspellings patients really type are part of the patterns (texts are normalised first:
# lower case, ASCII, so "corazón" is "corazon").
_BREATH = r"(breathe?|breath|breating|breth|brethe|brath)"
_OF = r"(my|his|her|the|mom'?s|dad'?s)"
_SELF_HARM = [
    # English: the words, then the indirect ways people write it.
    r"\bsuicid\w*",
    r"\b(kill|killing|hang|hanging|hurt|hurting|harm|harming|cut|cutting) ?(my|him|her) ?self\b",
    r"\b(kms|kys|unalive)\b",
    r"\bself ?harm\w*",
    r"\b(end|ending|take|taking) (my|his|her) (own )?life\b",
    r"\b(end|ending) (it|it all|things|everything) (all|now|tonight|today|for good)\b",
    r"\b(want|wanna|going|gonna|ready|decided|plan|planning) to end (it|things|everything)\b",
    r"\bend it all\b",
    # An opt-out from life rather than from texts: "unsubscribe me from life".
    r"\b(opt|opting|check|checking|sign|signing|unsubscrib\w*|cancel\w*|remove)( me)?( out| off)? "
    r"(of|from) (life|living|everything|this life|this world|it all|existence)\b",
    r"\b(done|finished|through) with (everything|life|living|it all)\b(?! (on|in|for|at|from) )",
    r"\b(want|wanna|need) (it|this|everything) (all )?to (end|be over)\b",
    r"\bcheck(ing)? out early\b",
    r"\b(darme|dame|denme|me doy|me quiero dar) de baja de (la vida|todo|este mundo)\b",
    r"\b(salirme|bajarme|irme) de (la vida|este mundo)\b",
    r"\b(want|wanna|wanted|wish|wishing|ready|rather|hope) (to |i could |i was |i were |i'd |i"
    r"d |i would )?(just )?(die|be dead)\b",
    r"\b(go|went|fall) to sleep and (not|never) wake\b",
    r"\b(wouldn'?t|would not|didn'?t|did not|never|not to|don'?t|dont want to) wake up\b",
    r"\bdon'?t want to (live|be alive|be here|exist|go on|keep going)\b",
    r"\b(no|not any|isn'?t any) (reason|point) (to|in) (live|living|go on|going on|keep going|"
    r"being here|fight)\w*",
    r"\bbetter off (dead|without me|if i (was|were|wasn'?t|weren'?t|am|was not) (gone|dead|her"
    r"e))\b",
    r"\b(world|everyone|family|they|kids) (would be|be|are) better (off )?without me\b",
    r"\bwon'?t be a burden (much|for) long\w*",
    r"\b(overdos\w*|od on)\b",
    r"\b(saving|saved|save|stockpil\w*|hoard\w*|collect\w*|hiding|hid|stash\w*) (up )?(all )?"
    r"(my |his |her |the |of my )?(pills|meds|medication|medicine|morphine|oxy\w*|pain pills|"
    r"sleeping pills|tablets)\b",
    r"\b(take|took|swallow) (all|the whole bottle of) (my |the )?(pills|meds|tablets)\b",
    r"\b(giving|gave|give|given) (away )?(all )?(my|his|her) (things|stuff|belongings|guitar|"
    r"jewelry|tools|dog|cat)( away)?\b",
    r"\b(goodbye|good bye|farewell|final|last) (letters?|notes?)\b",
    r"\b(gun|guns|pistol|rifle|shotgun|firearm|revolver)\b",
    r"\b(i have|i've got|ive got|i made|i've made|ive made|has|have) a plan\b"
    r"(?! (to|for|with) (ask|talk|see|call|get|try|join|go|start|my doctor|treatment|the))",
    r"\b(jump|jumping) (off|from|in front of)\b",
    r"\bslit (my )?wrists?\b",
    # Spanish, as people text it (often without accents).
    r"\b(matarme|matarse|quitarme la vida|quitarse la vida|me quiero matar|se quiere matar)\b",
    r"\b(me quiero|quiero|quisiera|me quisiera|quiere|desearia|deseo|prefiero) morir\w*(?! en "
    r"(su|mi|la) casa)",
    r"\bojala (que )?(me muera|dios me lleve|no despierte|ya me muera)\b",
    r"\b(dormir(me)?|dormirse) y no despertar\w*",
    r"\bno (quiero|quisiera) despertar\w*",
    r"\b(acabar|terminar|termino|acabo) con (mi vida|todo|esto)\b",
    r"\b(ya )?no (quiero|quiere) (vivir|seguir( viviendo)?|estar aqui)\b",
    r"\bno (vale|tiene sentido) (la pena )?(vivir|seguir)\b",
    r"\b(estarian|estaran|estarias|estaria) mejor sin mi\b",
    r"\bmejor (muerto|muerta|me muero|me voy)\b",
    r"\b(hacerme|hacerse) dano\b",
    r"\b(juntando|guardando|escondiendo|junte|guarde|acumulando) (todas )?(mis |sus |las )?"
    r"(pastillas|medicinas|pildoras|morfina)\b",
    r"\b(tomarme|tomarse|me tomo|me tome) (todas )?(las |mis )?(pastillas|pildoras)\b",
    r"\b(regalando|regale|regalar) (todas )?(mis|sus) cosas\b",
    r"\bcartas? de despedida\b",
    r"\b(pistola|escopeta|arma de fuego|un arma|el arma|rifle)\b",
    r"\b(ya )?(tengo|tiene) (un|el) plan\b",
    r"\bsoy una carga\b",
    r"\b(ya )?(me despedi|se despidio|despidiendome)\b",
    # Gaps the training month showed (issue 23): not existing, lethal doses, goodbyes,
    # jumping or shooting oneself, being talked out of it.
    r"\b(dejar de|no|ya no) (quiero |quisiera |quiere )?existir\b",
    r"\b(quisiera|quiero|quiere) no existir\b",
    r"\b(disappear|desaparecer) (like )?(for good|forever|para siempre)\b",
    r"\b(nap|sleep|rest|dormir) (forever|para siempre)\b",
    r"\bme (mato|voy a matar)\b(?! (de|con|trabajando|en el))",
    r"\b(lethal|fatal|deadly|letal|mortal) (dose|dosis|amount|cantidad)\b",
    r"\b(dose|dosis|amount|cantidad)\b( \w+){0,4} (is |es )?(lethal|fatal|deadly|letal|mortal)\b",
    r"\bhow many (pills|tablets|patches) (for|to|would|does it take)\b",
    r"\bcan you die (if|from) (you )?(tak\w*|swallow\w*|us\w*) (all|too many|a whole)\b",
    r"\b(all|every one of) (my|the) (fentanyl )?(patches|pills) at (the same time|once)\b",
    r"\b(this is|este es) (my |mi )?(goodbye|last text|last message|ultimo mensaje)\b",
    r"\b(tirar(me|se)|aventar(me|se)|me tiro|se tira|se va a tirar|me voy a tirar) (del|de un|de la"
    r"|por la|por el|al) (balcon|puente|edificio|ventana|techo|azotea|tren|metro)\b",
    r"\b(dar(me|se)|me doy|se da|pegar(me|se)) un (tiro|balazo)\b",
    r"\btalk me out of (it|this|doing it)\b",
    r"\bthe sooner i'?m gone\b|\b(quitarme|me quito|quitarse) de en medio\b",
    r"\bme (corte|corto|cortaba|volvi a cortar) (otra vez|de nuevo|las venas|los brazos)\b",
]
_URGENT = [
    # Lungs: breathing, cough, chest pain.
    rf"\b(can'?t|cannot|cant|can not|could ?n'?t|unable to|hard to|trouble|struggling to|"
    rf"difficulty|difficult to|hard time) (catch (my|his|her) )?{_BREATH}\w*",
    r"\bshort(ness)? (of|o) (breath|breadth|brass)\b",
    r"\b(out of breath|breathless\w*|gasping|wheez\w*)\b",
    r"\b(lips|face|fingers) (are |is |turning |look )?blue\b",
    r"\b(new|worse|worsening|constant|nonstop|non stop|bad|terrible) cough\w*",
    r"\bcough\w* (is )?(getting |gotten |much |way )?worse\b",
    r"\bchest (pain|pains|hurts?|hurting|pressure|tight\w*|ache\w*|is (tight|heavy))\b",
    r"\b(pain|pressure|tightness) in (my |his |her |the )?chest\b",
    r"\b(heart attack|stroke)\b",
    r"\b(me falta|le falta|falta de|sin|no (puedo|puede|podia)|me cuesta|le cuesta|"
    r"dificultad para) (el )?(aire|respirar)\b",
    r"\b(ahog\w*|asfixi\w*)",
    r"\b(dolor|presion|opresion) (en el|de|del) pecho\b",
    r"\b(me|le) duele (mucho )?el pecho\b",
    r"\btos (nueva|peor|que no para|cada vez peor|con sangre)\b",
    # Heart, fainting, hormones.
    r"\b(heart|pulse) (is |keeps )?(racing|pounding|fluttering|beating (so |really )?fast|skip"
    r"ping)",
    r"\b(passed|passing|pass) out\b|\bblack(ed)? out\b",
    r"\bfaint(ed|ing)?\b",
    r"\b(unconscious|unresponsive)\b",
    r"\b(severe|worst|terrible|really bad|pounding|splitting|excruciating|horrible|awful) headache",
    r"\b(light|lights|sunlight|sun) (hurts?|hurting|bothers?|bothering|kills) (my |his |her )?eyes",
    r"\beyes (hurt|ache|burn)\w* (in|from|with|when) (the )?(light|sun)",
    r"\b(extremely|so|super|really|very|constantly|always|insanely) thirsty\b",
    r"\bcan'?t (stop drinking|get enough water|quench)\b",
    r"\b(extreme|extremely|unbearabl\w*|crushing|overwhelming) (tired\w*|fatigue|exhaust\w*|we"
    r"ak\w*)",
    r"\bcan'?t (get out of bed|stay awake|keep (my |his |her )?eyes open)\b",
    r"\bcorazon (muy )?(acelerad\w*|a mil|late (muy )?rapido)",
    r"\b(me |se |le )?desmay\w*",
    r"\bdolor de cabeza (muy |bien |super )?(fuerte|terrible|horrible|insoportable|espantoso)\w*",
    r"\bla luz (me |le )?(lastima|molesta|duele|lastiman|molestan)\b",
    r"\b(muchisima|mucha mucha|sed extrema|sed terrible|sed horrible|sed insoportable)\b",
    r"\bcansancio (extremo|terrible|insoportable)\b",
    # Gut.
    r"\b(vomit\w*|throwing up|throw up|threw up|puking)\b.*\b(fever|temp\w*|chills)\b",
    r"\b(fever|temp\w*|chills)\b.*\b(vomit\w*|throwing up|throw up|threw up|puking)\b",
    r"\bcan'?t keep (anything|any thing|food|water|fluids) down\b",
    r"\b(blood|bloody|mucus) (in )?(my |his |her |the )?(stool|stools|poop|bowel|bm|diarrhea|u"
    r"rine|pee|vomit)",
    r"\b(stool|stools|poop|diarrhea|urine|pee|vomit) (has|with|is full of|is) (blood|bloody|mucus)",
    r"\b(black|tarry) (stool|stools|poop|bm)",
    r"\b(coughing|cough|vomiting|throwing|puking) up blood\b",
    r"\b(pooping|poopin|peeing|pissing|shitting|crapping|passing) (out )?blood\b",
    r"\bbleeding from (my|his|her|the) (butt|bottom|rear|rectum)\b",
    r"\b(bad|severe|terrible|awful|horrible|constant|nonstop|non stop|watery|bloody|lots of)"
    r" (diarrhea|diarrhoea|diarea|diarrea|runs|loose stools?)\b",
    r"\b(diarrhea|diarrhoea|diarea|diarrea|loose stools?|runs)\b.*\b(\d+|several|many|"
    r"two|three|four|five|six|seven|eight|ten) (days|times|x)\b",
    r"\b(\d+|many|several|lots of|six|seven|eight|ten) (loose|watery) (stools?|bowel)",
    r"\b(diarrhea|diarrhoea|diarea|diarrea)\b.*\b(won'?t|will not|doesn'?t|does not) stop\b",
    r"\b(severe|really bad|terrible|awful|horrible|worst|sharp|intense|unbearable)\w* "
    r"(belly|stomach|abdominal|tummy|gut) (pain|ache|cramp)",
    r"\bsangre en (el |la |las |los |mi |mis |su |sus )?(excremento|heces|popo|caca|evacuaci\w*|"
    r"orina|vomito|diarrea)",
    r"\b(heces|popo|caca|excremento|evacuaciones) (negr\w*|con sangre|con moco)",
    r"\b(vomit\w*|escup\w*) sangre\b",
    r"\bdiarrea\b.*\b([4-9]|\d\d|muchas|varias|diez|ocho|seis|siete|cinco) veces\b",
    r"\b([4-9]|\d\d|muchas|varias|diez|ocho|seis|siete) veces\b.*\bdiarrea\b",
    r"\bdolor (muy |bien )?(fuerte|terrible|horrible|insoportable) (de|en la|en el) "
    r"(panza|barriga|estomago|abdomen)",
    # Liver.
    rf"\b(skin|eyes?|whites of {_OF} eyes) ((has |have )?(turned|gone|become|got|gotten) |is |are "
    rf"|look |looks |turning |going |getting |seem |kinda |a bit |are a little )?(yellow\w*|yelo"
    rf"w\w*)",
    r"\b(yellow\w*|yelow\w*) (skin|eyes?|tint|color to (my|his|her) (skin|eyes))\b",
    r"\bjaundice\w*",
    r"\b(dark|brown|cola|tea|coke) (colou?red )?(urine|pee)\b",
    r"\b(urine|pee|peeing|pees|orina|orino|pipi)\b( \w+){0,3} (dark|brown|coke|cola|tea|coca|"
    r"oscura|cafe)\b",
    r"\bpain (on|in) (my |his |her |the )?right side\b|\bright side (pain|hurts)\b",
    r"\b(piel|ojos) (esta |estan |se ve |se ven |muy |bien |se me pusieron |se le pusieron )?"
    r"amarill\w*",
    r"\bamarill\w* (la piel|los ojos)\b",
    r"\borina (muy )?(oscura|cafe|color (cafe|coca|te))\b",
    r"\bdolor (en el|del) (lado|costado) derecho\b",
    # Kidneys.
    r"\b(barely|hardly|not|haven'?t|havent) (been )?(peeing|urinating|pee'?d|urinated)\b",
    r"\b(much )?less (pee|urine)\b|\bno (urine|pee)\b",
    r"\b(casi )?no (he |ha )?(orino|orinado|hago pipi|hace pipi|orina|puedo orinar)\b",
    # Skin and mouth.
    r"\bblister\w*",
    r"\b(skin|rash) (is |keeps )?(peeling|coming off|sloughing)",
    r"\b(mouth|throat) (sores|ulcers)\b|\bsores (in|all over) (my |his |her )?mouth\b",
    r"\bampolla\w*",
    r"\b(pelando|pela) la piel\b|\bla piel se (me |le )?(esta )?pel\w*",
    r"\bllagas en (la|mi|su) boca\b",
    # Nerves and brain.
    r"\b(new|sudden\w*|weird) (weakness|numbness|tingling)\b",
    r"\b(weak|numb|numbness|weakness|tingl\w*) (in|on) (my |his |her )?(one )?(arm|arms|leg|legs|"
    r"face|hands?|feet|side)\b",
    r"\bcan'?t (move|feel|lift) (my|his|her) (arm|arms|leg|legs|face|hands?|feet)\b",
    r"\b(he|she|mom|dad|is|seems|acting|gets|getting|got|very|new|sudden\w*|totally) "
    r"confus\w*(?! (about|by|with|on|as to))",
    r"\bconfusion\b(?! about)",
    r"\b(doesn'?t|does not|didn'?t|did not) (know|recognize) (me|where|who)\b",
    r"\b(disoriented|slurr\w*)\b",
    r"\b(confundid[oa]|desorientad[oa]|debilidad nueva|entumid\w*|adormecid\w*)\b",
    r"\bno (me |la |lo |nos )?reconoce\b",
    # Fever of 100.4 F / 38 C or more, now.
    r"\b(fever|temp|temperature|fiebre|temperatura|calentura)\b\D{0,20}\b(100 [4-9]|10[1-6]|"
    r"38( [0-9])?|39( [0-9])?|40( [0-9])?)\b",
    r"\b(100 [4-9]|10[1-6]|38 [0-9]|39( [0-9])?|40 [0-9])( degrees?| grados| f| c)?\b\D{0,20}"
    r"\b(fever|temp|fiebre|temperatura|calentura)\b",
    r"\bhigh fever\b|\bfiebre (muy )?alta\b",
    # Swelling of lips, tongue or throat.
    r"\b(lips?|tongue|throat|face) (is |are |is getting |getting |feels? |looks? |started )?"
    r"(swell\w*|swollen|puff\w*|closing)",
    r"\bswell\w* (of |in )?(my |his |her )?(lips?|tongue|throat)\b",
    r"\bcan'?t swallow\b",
    r"\b(labios?|lengua|garganta|cara) (muy |bien )?(hinchad\w*|inflamad\w*)",
    r"\bhinchazon (de|en) (los |la |mis |sus )?(labios|lengua|garganta)\b",
    r"\b(se )?(me |le )?cierra la garganta\b",
    # Other emergencies.
    r"\bseizure\w*|\bconvulsi\w*",
    r"\bcan'?t wake (him|her|them|my \w+|mom|dad) up\b|\b(won'?t|will not) wake up\b",
    r"\b(fell|fall) and hit (my|his|her) head\b",
    r"\bbleeding (that )?(won'?t|will not|doesn'?t|does not) stop\b|\bsangrado que no (para|se"
    r" detiene)",
    r"\b(severe|unbearable|worst|terrible|excruciating) pain\b|\bdolor insoportable\b",
    r"\bno (despierta|reacciona|responde)\b(?! (a|al|con) )",
    r"\b(emergency|emergencia)\b",
    # Gaps the training month showed (issue 23): stroke signs, new confusion, weakness,
    # bleeding, vomiting everything, fevers typed in a hurry.
    r"\b(se (me|le) )?(tuerce|cae|cayo|torcio|durmio) (la boca|la cara|la mitad de la cara)\b",
    r"\b(half|one side|side) of (my|his|her) face\b( \w+){0,2} (numb|droop\w*|drop\w*|fell)\b",
    r"\b(face|mouth|smile) (is |looks )?(droop\w*|crooked|lopsided)\b",
    r"\b(words?|speech) (are |is |keep |keeps )?(coming|come|came) out (all )?(wrong|jumbled|garbl"
    r"ed|funny)\b",
    r"\b(forget\w*|forgot|doesn'?t know|does not know) where (she|he|i) (is|am|was|lives?)\b",
    r"\b(got lost|se perdio|me perdi) (driving|manejando) (home|a (la|su|mi) casa)\b",
    r"\bhabla (cosas raras|incoherencias|puras incoherencias)\b",
    r"\b(legs?|arms?|face|feet) (went|are going|is going|have gone|has gone) numb\b",
    r"\bno (tenia|tengo|tiene|tenemos) fuerza en (la|el|las|los|mi|mis|su|sus) (piernas?|brazos?"
    r"|manos?|lado)\b",
    r"\bbleeding (a lot|heavily|so much|nonstop|non stop|everywhere)\b|\bsoaked (\w+ )?(towels?"
    r"|gauze|bandages?|through)\b",
    r"\b(vomit\w*|throw\w* up|puk\w*) (everything|todo)\b|\bni el suero\b",
    r"\b(bowel movements?|bms?|stools?|evacuaciones)\b( \w+){0,4} (with|con) (blood|sangre)\b",
    r"\b(collapsed|se desplomo|se colapso)\b",
    r"\bno me alcanza el (aire|aliento)\b",
    # Breathless doing what was easy: "can't climb the stairs without getting winded".
    r"\b(can'?t|cannot|no (puedo|puede)) (\w+ ){0,4}(without (getting |being )?(out of breath|"
    r"winded|gasping)|sin (quedarme|quedarse|ahogarme|ahogarse|cansarme)( sin aire)?)\b",
    r"\b(fevr|fver|feaver|fiever|fiber|fievre|fievr)\b\D{0,10}\b(100 [4-9]|10[1-6]|38|39|40)\b",
]
# A family member telling us the patient died: a person should follow up, gently.
_BEREAVEMENT = [
    r"\b(passed away|passed on|has passed)\b",
    r"\b(he|she|they|mom|mum|dad|mother|father|husband|wife|partner|son|daughter|brother|"
    r"sister|grandma|grandpa|grandmother|grandfather) (has |just )?(died|passed)\b",
    r"\b(has|had|just) died\b",
    r"\b(funeral|velorio|funeral)\b",
    r"\bno longer with us\b|\bya no esta con nosotros\b",
    r"\b(fallecio|falleciera|murio|se murio|descanse en paz|en paz descanse)\b",
]
_FAMILIES = {SELF_HARM: _SELF_HARM, URGENT: _URGENT, BEREAVEMENT: _BEREAVEMENT}


def _prefixes(items: list) -> list[str] | None:
    """The literal text every match of these parsed regex items starts with, one per
    alternative; None when some alternative has no such text of 2 characters or more."""
    items = list(items)
    while items and items[0][0] is AT:
        items = items[1:]
    if len(items) == 1 and items[0][0] is BRANCH:
        found = [_prefixes(branch) for branch in items[0][1][1]]
        return None if None in found else [p for branch in found for p in branch]
    if items and items[0][0] is SUBPATTERN:
        return _prefixes(items[0][1][3])
    text = "".join(chr(av) for _, av in takewhile(lambda it: it[0] is LITERAL, items))
    return [text] if len(text) >= 2 else None


def _rule(pattern: str) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """A compiled rule and the words it needs, as one search for any of them: a text
    holding none of them cannot match, so the rule is not run (a third of the cost on long
    texts; a test proves the shortcut never changes an answer)."""
    anchors = _prefixes(list(_regex_parser.parse(pattern)))
    needs = re.compile("|".join(map(re.escape, anchors))) if anchors else None
    return re.compile(pattern), needs


_COMPILED = {family: [_rule(p) for p in patterns] for family, patterns in _FAMILIES.items()}

# Of the symptom red flags, the ones that mean 911 now (breathing, chest, heart attack or
# stroke, fainting, swelling of the airway, seizure, a person who will not wake, bleeding
# that will not stop); every other one means calling the care team now.
_EMERGENCY_SIGN = re.compile(
    r"breath|breth|brath|breadth|brass|gasping|wheez|blue\b|chest|heart attack|stroke|aire\b|"
    r"respirar|ahog|asfixi|pecho|pass(ed|ing)? out|black(ed)? out|faint|unconscious|"
    r"unresponsive|desmay|can'?t (move|feel|lift)|swell|swollen|puff|closing|swallow|hinchad|"
    r"inflamad|hinchazon|cierra la garganta|seizure|convulsi|wake|hit (my|his|her) head|"
    r"bleeding (that )?(won|will|does)|sangrado|despierta|reacciona|responde|emergenc"
)


@dataclass(frozen=True)
class RedFlag:
    family: str  # URGENT, SELF_HARM or BEREAVEMENT
    phrase: str  # what matched, for the staff inbox
    tier: Tier = Tier.EMERGENCY  # URGENT rules: EMERGENCY or CALL_NOW


def _tier(family: str, phrase: str) -> Tier:
    if family == URGENT and not _EMERGENCY_SIGN.search(phrase):
        return Tier.CALL_NOW
    return Tier.EMERGENCY


def red_flag(text: str) -> RedFlag | None:
    """The first red flag in `text` that counts: not negated and in scope (bot.conversation
    .scope: not over, not someone else's or a pet's, not a figure of speech, a greeting or
    sports talk). Self-harm first, then symptoms, then a reported death."""
    found = matches(text)
    return next((flag for flag, why in found if why is None), None)


def matches(text: str) -> list[tuple[RedFlag, str | None]]:
    """Every rule that matched, with why it does not count (None: it counts). A match
    that was scoped out still tells the pipeline to distrust a classifier alarm."""
    norm = spoken.digits(normalize(text))  # "fever of one hundred point six": 100 6
    found: list[tuple[RedFlag, str | None]] = []
    for family in (SELF_HARM, URGENT, BEREAVEMENT):
        for pattern, anchors in _COMPILED[family]:
            if anchors and not anchors.search(norm):
                continue
            for match in pattern.finditer(norm):
                if negated(norm, match.start()):
                    # Not recorded as scoped out: the classifier may still hear an alarm
                    # in the rest ("no fever but ..."); on the held-out part, 2 more
                    # emergencies were caught this way than with it as a scope.
                    continue
                flag = RedFlag(family, match.group(0), _tier(family, match.group(0)))
                why = scope.out_of_scope(text, norm, *match.span(), family)
                if why is None and family == URGENT and scope.resolved(text, norm, *match.span()):
                    # Passed: a sign of 911 becomes a call now; any other sign, over.
                    why = "over" if flag.tier == Tier.CALL_NOW else None
                    flag = RedFlag(family, flag.phrase, Tier.CALL_NOW)
                found.append((flag, why))
                if why is None:
                    return found
    return found
