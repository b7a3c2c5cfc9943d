"""Red flags: texts that need a person now, not an article.

Runs before any keyword or topic matching. A hit tells the patient to call 911 (988 for
self-harm) or their care team and flags the text for staff. A red-flag phrase that is
negated just before it ("no chest pain", "not short of breath") does not count, but one
negation does not cancel a different red flag later in the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.conversation.text import normalize

URGENT, SELF_HARM, BEREAVEMENT = "urgent", "self_harm", "bereavement"

_NEGATION = re.compile(
    r"\b(no|not|without|never|denies|deny|dont|don't|doesnt|doesn't|isnt|isn't|"
    r"havent|haven't|hasnt|hasn't|no more|free of|zero)\b(\s+\w+){0,2}\s*$"
)

# Each family is a list of regexes over the normalised text (lower case, no punctuation
# except apostrophes). Misspellings patients really type are part of the patterns.
_BREATH = r"(breathe?|breath|breating|breth|brethe)"
_FAMILIES: dict[str, list[str]] = {
    SELF_HARM: [
        r"\bsuicid\w*",
        r"\bkill(ing)? my ?self\b",
        r"\bend(ing)? (my|it) (life|all)\b",
        r"\bend it all\b",
        r"\b(want|wanna|wish) (to|i could|i was|i were) (die|dead|be dead)\b",
        r"\bwant to die\b",
        r"\bdon'?t want to (live|be alive|be here)\b",
        r"\b(hurt|harm|cut)(ing)? my ?self\b",
        r"\bself ?harm\w*",
        r"\bno (reason|point) (to|in) (live|living|going on)\b",
        r"\bbetter off dead\b",
        r"\boverdose\b",
    ],
    URGENT: [
        # Breathing
        rf"\b(can'?t|cannot|cant|can not|could ?n'?t|unable to|hard to|trouble|struggling to|"
        rf"difficulty|difficult to|hard time) (catch my )?{_BREATH}\w*",
        r"\bshort(ness)? (of|o) breath\b",
        r"\bbreathless\w*",
        r"\bgasping\b",
        r"\bcan'?t catch my breath\b",
        r"\b(lips|face) (are |is |turning )?blue\b",
        # Heart and chest
        r"\bchest (pain|pains|hurts?|hurting|pressure|tight\w*|ache\w*|is (tight|heavy))\b",
        r"\b(pain|pressure|tightness) in (my )?chest\b",
        r"\bheart (is )?(racing|pounding|fluttering)\b",
        r"\bheart attack\b",
        r"\bstroke\b",
        # Consciousness
        r"\b(passed|passing) out\b",
        r"\bfaint(ed|ing)\b",
        r"\bunconscious\b",
        r"\bseizure\w*",
        # Gut: vomiting with fever, blood, many loose stools
        r"\b(vomit\w*|throwing up|throw up|threw up|puking)\b.*\b(fever|temp\w*|chills)\b",
        r"\b(fever|temp\w*|chills)\b.*\b(vomit\w*|throwing up|throw up|threw up|puking)\b",
        r"\bcan'?t keep (anything|any thing|food|water|fluids) down\b",
        r"\bblood(y)? (in )?(my )?(stool|stools|poop|bowel|diarrhea|urine|pee|vomit)\b",
        r"\b(stool|stools|poop|diarrhea|urine|pee|vomit) (has|with|is full of) blood\b",
        r"\b(black|tarry) (stool|stools|poop)\b",
        r"\b(coughing|cough|vomiting|throwing) up blood\b",
        r"\b(bad|severe|terrible|awful|horrible|constant|nonstop|non stop|watery|bloody|lots of)"
        r" (diarrhea|diarrhoea|diarea|diarrea|runs|loose stools?)\b",
        r"\b(diarrhea|diarrhoea|diarea|diarrea|loose stools?|runs)\b.*\b(\d+|several|many|"
        r"two|three|four|five|six|seven) (days|times|x)\b",
        r"\b(\d+|many|several|lots of|six|seven|eight|ten) (loose|watery) (stools?|bowel)\b",
        r"\b(diarrhea|diarrhoea|diarea|diarrea)\b.*\b(won'?t|will not|doesn'?t|does not) stop\b",
        # Fever, bleeding, severe pain
        r"\bfever (of |is )?(10[0-9]|3[89])",
        r"\b(temp|temperature) (of |is )?(10[0-9]|3[89])",
        r"\bhigh fever\b",
        r"\bbleeding (that )?(won'?t|will not|doesn'?t) stop\b",
        r"\b(severe|unbearable|worst|terrible) pain\b",
        r"\b(yellow) (skin|eyes)\b",
        r"\bemergency\b",
    ],
    # A family member telling us the patient died: a person should follow up, gently.
    BEREAVEMENT: [
        r"\b(passed away|passed on|has passed)\b",
        r"\b(he|she|they|mom|mum|dad|mother|father|husband|wife|partner|son|daughter|brother|"
        r"sister|grandma|grandpa|grandmother|grandfather) (has |just )?(died|passed)\b",
        r"\b(has|had|just) died\b",
        r"\bfuneral\b",
        r"\bno longer with us\b",
    ],
}
_COMPILED = {family: [re.compile(p) for p in patterns] for family, patterns in _FAMILIES.items()}


@dataclass(frozen=True)
class RedFlag:
    family: str  # URGENT or SELF_HARM
    phrase: str  # what matched, for the staff inbox


def _negated(text: str, start: int) -> bool:
    # Only the few words right before the phrase, and not across "but"/"and".
    before = re.split(r"\b(but|and|however|although|though|now)\b|[.;,]", text[:start])[-1]
    return bool(_NEGATION.search(before))


def red_flag(text: str) -> RedFlag | None:
    """The first red flag in `text` that is not negated: self-harm, urgent, bereavement."""
    norm = normalize(text)
    for family in (SELF_HARM, URGENT, BEREAVEMENT):
        for pattern in _COMPILED[family]:
            for match in pattern.finditer(norm):
                if not _negated(norm, match.start()):
                    return RedFlag(family, match.group(0))
    return None
