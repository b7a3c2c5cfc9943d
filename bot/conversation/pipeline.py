"""What the bot says back: one ordered pipeline, no I/O.

    compliance -> consent -> safety -> keyword -> meaning -> closest topics

`decide()` takes the text and what we know about the sender (a `Context`) and returns a
`Decision`: the topic, the reply (or None for silence), the state changes to make and
why (which detector, which words). The webhook and the `flask reply` command both call
it; `bot.conversation.inbound` applies the decision to the database.

Two independent detectors guard the first steps, and either one is enough: the curated
rules (`compliance`, `safety`) and the classifier trained on the corpus (`understanding`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.conversation import compliance, safety
from bot.conversation.matching import Matcher
from bot.conversation.text import normalize, words
from bot.conversation.understanding.features import emoji_tokens
from bot.conversation.understanding.model import Classifier, Prediction, default_classifier
from bot.models import ACTIVE, PENDING, STOPPED
from content import Content

# Flags shown in the staff inbox.
FLAG_URGENT, FLAG_SELF_HARM, FLAG_UNANSWERED = "urgent", "self_harm", "unanswered"
FLAG_BEREAVEMENT, FLAG_PROGNOSIS = "bereavement", "prognosis"

# Decision values of the linear classifier (0 is its own boundary). Urgent and stop are
# read on the cautious side: missing an emergency is far worse than a false alarm.
URGENT_MIN = -0.2
STOP_MIN = 0.0
ANSWER_MIN = -0.35
SUGGESTIONS = 3
# A bare acknowledgement right after our message needs no answer ("ok", a thumbs-up).
_ACKS = frozenset({"ok", "okay", "k", "kk", "okey", "oki", "ty", "thx", "got it", "bueno"})


@dataclass(frozen=True)
class Context:
    """What we know about the sender when the text arrives."""

    status: str | None = None  # None: not enrolled (anyone may still ask questions)
    last_topic: str | None = None  # the last content topic this number asked about
    more_sent: bool = False  # whether MORE already continued that topic
    next_scan: tuple[str, str] | None = None  # (kind, local date/time text)
    last_was_ours: bool = False  # the newest message in the thread is one we sent


@dataclass(frozen=True)
class Why:
    """Which detector decided, and on which words (`flask reply --json --explain`)."""

    detector: str  # "compliance rule", "red-flag rule", "classifier", "keyword", ...
    words: tuple[str, ...] = ()
    score: float | None = None  # the classifier's decision value, when it decided

    def as_dict(self) -> dict[str, object]:
        return {"detector": self.detector, "words": list(self.words), "score": self.score}


@dataclass(frozen=True)
class Decision:
    topic: str
    body: str | None  # None: send nothing
    new_status: str | None = None
    consent: str | None = None  # "opt_in" or "opt_out": a consent event to record
    flag: str | None = None  # staff inbox flag
    detail: str = ""  # why (keyword, red-flag phrase), for the record
    why: Why = Why("none")


@dataclass
class Pipeline:
    content: Content
    program: str
    clinic_phone: str
    classifier: Classifier = field(default_factory=default_classifier)
    matcher: Matcher = field(init=False)

    answerable: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.matcher = Matcher(self.content)
        self.answerable = frozenset(self.content.topics) | {"more", "next_scan", "prognosis"}

    def render(self, key: str, **values: str) -> str:
        """A service reply from replies.yaml with its placeholders filled."""
        return self.content.replies[key].format(
            program=self.program, clinic_phone=self.clinic_phone, **values
        )

    def decide(self, text: str, ctx: Context) -> Decision:
        seen = self.classifier.predict(text)
        flag = _worst(safety.red_flag(text), _model_flag(seen))
        decision = self._compliance(text, ctx, seen, flag)
        if decision:
            return decision
        if ctx.status == STOPPED:
            # Opted out: silence. A red flag is still put in front of staff, who may call.
            alarm = flag and flag.family != safety.BEREAVEMENT
            topic = "urgent" if alarm else "silenced"
            return Decision(topic, None, flag=_flag_for(flag), why=_why(flag))
        if flag:
            return self._alarm(flag)
        topic = self.matcher.keyword(text)
        if topic:
            return self._answer(topic, ctx, Why("keyword", (normalize(text),)))
        return self._understood(text, seen, ctx)

    def _compliance(
        self, text: str, ctx: Context, seen: Prediction, flag: safety.RedFlag | None
    ) -> Decision | None:
        kind = compliance.classify(text)
        why = Why("compliance rule", (normalize(text)[:40],))
        sure = seen.score >= (STOP_MIN if seen.label == "stop" else ANSWER_MIN)
        if kind is None and seen.label in _SERVICE and sure and not flag:
            kind, why = seen.label, Why("classifier", seen.evidence, round(seen.score, 3))
        if kind == "stop":
            return self._stop(ctx, flag, why)
        if kind in ("start", "yes") and ctx.status == STOPPED:
            return Decision("start", self.render("start"), ACTIVE, "opt_in", detail=kind, why=why)
        if kind in ("start", "yes"):
            key = "yes" if ctx.status == PENDING else {"yes": "yes_nothing_pending"}.get(kind, kind)
            new, consent = (ACTIVE, "opt_in") if ctx.status == PENDING else (None, None)
            return Decision(kind, self.render(key), new, consent, detail=kind, why=why)
        if kind == "help":
            return Decision("help", None if ctx.status == STOPPED else self.render("help"), why=why)
        return None

    def _stop(self, ctx: Context, flag: safety.RedFlag | None, why: Why) -> Decision:
        """An opt-out always takes effect. When the same text is an emergency or a death,
        that reply goes instead of the plain confirmation (it says what matters more)."""
        change = {"new_status": STOPPED, "consent": "opt_out", "detail": why.words[0][:40]}
        if flag and flag.family == safety.BEREAVEMENT:
            body = self.render("bereavement_stop")
            return Decision("bereavement", body, flag=FLAG_BEREAVEMENT, why=why, **change)
        if flag:
            return Decision(
                "urgent", self._alarm(flag).body, flag=_flag_for(flag), why=_why(flag), **change
            )
        # One confirmation only: a second STOP from a stopped number gets silence.
        body = None if ctx.status == STOPPED else self.render("stop")
        return Decision("stop", body, why=why, **change)

    def _alarm(self, flag: safety.RedFlag) -> Decision:
        if flag.family == safety.BEREAVEMENT:
            # Flag only: a person follows up; a misread must not silence a living patient.
            return Decision(
                "bereavement",
                self.render("bereavement"),
                flag=FLAG_BEREAVEMENT,
                detail=flag.phrase,
                why=_why(flag),
            )
        key = {safety.SELF_HARM: "urgent_self_harm", MODEL_URGENT: "urgent_either"}.get(
            flag.family, "urgent"
        )
        return Decision(
            "urgent", self.render(key), flag=_flag_for(flag), detail=flag.phrase, why=_why(flag)
        )

    def _understood(self, text: str, seen: Prediction, ctx: Context) -> Decision:
        """Routing by meaning: the classifier's label when it is sure enough, else the
        closest topics to choose from."""
        why = Why("classifier", seen.evidence, round(seen.score, 3))
        quiet = ctx.last_was_ours and _bare_ack(text)
        if seen.label == "thanks" or quiet:
            return Decision("thanks", None if quiet else self.render("thanks"), why=why)
        if seen.score >= ANSWER_MIN and seen.label in self.answerable:
            return self._answer(seen.label, ctx, why)
        match = self.matcher.free_text(text)
        if match:
            return self._answer(match.topic, ctx, Why("topic words", (), match.score))
        return self._closest(text, seen, why)

    def _closest(self, text: str, seen: Prediction, why: Why) -> Decision:
        topics = [label for label, _ in seen.ranking if label in self.content.topics]
        words_ = [self.content.topics[t].keywords[0] for t in topics[:SUGGESTIONS]]
        body = self.render("unknown_closest", choices=_either(words_))
        flag = FLAG_UNANSWERED if _looks_like_question(text) else None
        return Decision("unknown", body, flag=flag, why=why)

    def _answer(self, topic: str, ctx: Context, why: Why) -> Decision:
        if topic == "more":
            if not ctx.last_topic:
                return Decision("more", self.render("more_none"), why=why)
            if ctx.more_sent:
                return Decision("more", self.render("more_done"), why=why)
            more = self.content.topics[ctx.last_topic].more
            return Decision("more", more, detail=ctx.last_topic, why=why)
        if topic == "next_scan":
            if ctx.next_scan:
                kind, when = ctx.next_scan
                body = self.render("next_scan_known", kind=kind, when=when)
                return Decision("next_scan", body, why=why)
            return Decision("next_scan", self.render("next_scan_unknown"), why=why)
        if topic == "prognosis":
            # A person should follow up; never statistics first.
            return Decision("prognosis", self.render("prognosis"), flag=FLAG_PROGNOSIS, why=why)
        if topic == "unknown":  # MENU
            return Decision(topic, self.render(topic), why=why)
        return Decision(topic, self.content.topics[topic].body, detail=why.detector, why=why)


# The classifier's own red flag: it cannot tell self-harm from a medical emergency, so
# its reply names both (911, 988 and the care team).
MODEL_URGENT = "model_urgent"


def _model_flag(seen: Prediction) -> safety.RedFlag | None:
    """The classifier's alarm: urgent even when it only comes close to winning."""
    if seen.score_of("urgent") >= URGENT_MIN:
        return safety.RedFlag(MODEL_URGENT, "classifier: " + " ".join(seen.evidence))
    if seen.label == "bereavement" and seen.score >= 0:
        return safety.RedFlag(safety.BEREAVEMENT, "classifier: " + " ".join(seen.evidence))
    return None


# Service intents the classifier may decide when the rules found none of their words.
_SERVICE = ("stop", "start", "yes", "help")


def _worst(rule: safety.RedFlag | None, model: safety.RedFlag | None) -> safety.RedFlag | None:
    """Either detector is enough, and an emergency outranks a reported death: a text that
    mentions a death may still be a relative's alarm about the living."""
    if rule and rule.family == safety.BEREAVEMENT and model and model.family == MODEL_URGENT:
        return model
    return rule or model


def _flag_for(flag: safety.RedFlag | None) -> str | None:
    if flag is None:
        return None
    return {safety.SELF_HARM: FLAG_SELF_HARM, safety.BEREAVEMENT: FLAG_BEREAVEMENT}.get(
        flag.family, FLAG_URGENT
    )


def _why(flag: safety.RedFlag | None) -> Why:
    if flag is None:
        return Why("none")
    if flag.phrase.startswith("classifier: "):
        return Why("classifier", tuple(flag.phrase.removeprefix("classifier: ").split()))
    return Why("red-flag rule", (flag.phrase,))


def _either(choices: list[str]) -> str:
    """'TRIALS, HOSPICE or SCANS'."""
    return ", ".join(choices[:-1]) + " or " + choices[-1] if len(choices) > 1 else choices[0]


def _bare_ack(text: str) -> bool:
    """'ok', 'k', or only a pictograph (a thumbs-up, a heart)."""
    norm = normalize(text)
    return norm in _ACKS or (not norm and bool(emoji_tokens(text)))


def _looks_like_question(text: str) -> bool:
    """Worth a human look: a real question, not 'thanks' or 'hello'."""
    return "?" in text or len(words(normalize(text))) >= 4
