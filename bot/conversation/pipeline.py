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

from dataclasses import dataclass, field, replace
from functools import cached_property

from bot.checkins import conversation as checkin
from bot.checkins.grading import Escalation, read_answer
from bot.conversation import answer_cards, compliance, language, safety
from bot.conversation.answers import CardIndex, card_index
from bot.conversation.matching import Matcher
from bot.conversation.text import normalize, words
from bot.conversation.understanding import triage
from bot.conversation.understanding.features import emoji_tokens
from bot.conversation.understanding.model import Classifier, Prediction, Shipped
from bot.models import ACTIVE, PENDING, STOPPED
from bot.patients.status import ConsentKind, Flag, ScanReplyKind, Tier
from bot.timeutil import When
from content import DEFAULT_LANGUAGE, LANGUAGES, Content
from content.checkins import CheckinContent

# Flags shown in the staff inbox (bot.patients.status.Flag is their one home).
FLAG_URGENT, FLAG_SELF_HARM, FLAG_UNANSWERED = Flag.URGENT, Flag.SELF_HARM, Flag.UNANSWERED
FLAG_BEREAVEMENT, FLAG_PROGNOSIS = Flag.BEREAVEMENT, Flag.PROGNOSIS
FLAG_CHECKIN, FLAG_RESCHEDULE = Flag.CHECKIN, Flag.RESCHEDULE

# Decision values of the linear classifier (0 is its own boundary); whether a text is
# urgent is the triage model's call (understanding/triage.py).
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
    next_scan: tuple[str, When] | None = None  # (kind, when), worded in the reply's language
    last_was_ours: bool = False  # the newest message in the thread is one we sent
    language: str | None = None  # the patient's language (None: not known yet)
    checkin: checkin.OpenCheckin | None = None  # a check-in waiting for an answer
    # Our last text was a reminder, recently: a bare C or R answers it.
    reminder: AwaitingReply | None = None
    opt_out_type: str | None = None  # Twilio Advanced Opt-Out's OptOutType, when sent
    last_card: str | None = None  # the card we gave last (MORE gives the next one)
    choices: tuple[str, ...] = ()  # the cards we offered in reply to the last text


@dataclass(frozen=True)
class AwaitingReply:
    """The reminder a C or R would answer."""

    reminder_id: int
    scan_id: int | None
    when: When  # the scan's local date and time, worded in the reply's language


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
    consent: ConsentKind | None = None  # a consent event to record (opt-in or opt-out)
    flag: str | None = None  # staff inbox flag
    detail: str = ""  # why (keyword, red-flag phrase), for the record
    why: Why = Why("none")
    language: str = DEFAULT_LANGUAGE  # the language of the reply
    new_language: str | None = None  # the patient's language, when this text changed it
    checkin: checkin.Turn | None = None  # what this text does to a check-in
    # C or R after a reminder: what the patient said, and which reminder it answers.
    scan_reply: tuple[ScanReplyKind, AwaitingReply] | None = None
    tier: Tier = Tier.NONE  # emergency / call_now (topic urgent), review, none
    # Answer cards: the one given, or (offered) the ones to choose from by digit.
    cards: tuple[str, ...] = ()
    offered: bool = False


@dataclass
class Pipeline:
    content: Content
    program: str
    clinic_phone: str
    classifier: Classifier | Shipped = field(default_factory=Shipped)
    matcher: Matcher = field(init=False)

    answerable: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.matcher = Matcher(self.content)
        self.answerable = frozenset(self.content.topics) | {"more", "next_scan", "prognosis"}

    def warm(self) -> None:
        """Train the classifier and fit the card index now (a web server's start-up),
        not on a patient's first text: Twilio waits 15 s for a reply at most."""
        self.classifier.predict("warm up")
        _ = self.cards

    @cached_property
    def cards(self) -> CardIndex:
        """The answer cards' index, fitted when a text first needs one (seconds): a
        command that routes no text never pays for it."""
        return card_index(self.content.cards)

    def render(self, key: str, language: str | None, **values: str) -> str:
        """A service reply from replies.yaml in `language`, its placeholders filled."""
        replies = self.content.in_language(language).replies
        return replies[key].format(**self.fill(language), **values)

    def fill(self, language: str | None) -> dict[str, str]:
        """The placeholders every text may use, in `language` (an unset phone included)."""
        phone = self.clinic_phone or self.content.in_language(language).replies[
            "clinic_phone_unset"
        ]
        return {"program": self.program, "clinic_phone": phone}

    def decide(self, text: str, ctx: Context) -> Decision:
        """The reply to one text, in the language it should be read in."""
        said = compliance.read(text)
        hit = self.matcher.keyword_hit(text)
        detected, switch_to = language.detect(text), language.switch(text)
        reply_in = switch_to or _reply_language(ctx.language, said, hit, detected)
        decision = self._decide(text, replace(ctx, language=reply_in), said, hit, switch_to)
        decision = self._review(text, decision, reply_in)
        long_enough = len(normalize(text).split()) >= language.MIN_WORDS_TO_REMEMBER
        remember = switch_to or (detected if long_enough else None)
        changed = remember if remember and remember != ctx.language else None
        # A check-in goes on in the language it started in.
        lang = decision.language if decision.topic == "checkin" else reply_in
        return replace(decision, language=lang, new_language=changed)

    def _decide(
        self,
        text: str,
        ctx: Context,
        said: tuple[str, str] | None,
        hit: tuple[str, str | None] | None,
        switch_to: str | None,
    ) -> Decision:
        if switch_to and ctx.status != STOPPED:
            return Decision(
                "language", self.render("language_set", ctx.language), why=Why("keyword")
            )
        seen = self.classifier.predict(text)
        # A bare answer to a check-in question ("3", "none", "better") is outside what the
        # classifier learnt from: only the rules read it for STOP and red flags.
        plain = self._plain_answer(text, ctx)
        flag = triage.assess(text, None if plain else seen)
        kind = compliance.with_opt_out_type(said[0] if said else None, ctx.opt_out_type)
        # An active patient's YES answers our question or reminder (C); a pending one's is
        # the opt-in, always.
        yes = kind == "yes" and ctx.status == ACTIVE and bool(ctx.checkin or ctx.reminder)
        if yes:
            kind, plain = None, True
        decision = self._compliance(kind, text, ctx, seen, flag, trust_model=not plain)
        if decision:
            return decision
        if ctx.status == STOPPED:
            # Opted out: silence, except an emergency: its safety reply answers the patient's
            # own text (the carrier may block it), and staff are asked to call.
            if flag and flag.family != safety.BEREAVEMENT:
                return replace(self._alarm(flag, ctx), flag=Flag.CALL_OPTED_OUT)
            return Decision("silenced", None, flag=_flag_for(flag), why=_why(flag))
        if flag:
            return self._alarm_in_checkin(self._alarm(flag, ctx), ctx)
        decision = self._reminder_reply(text, ctx, yes) or self._checkin(text, ctx)
        decision = decision or answer_cards.picked(self, text, ctx)
        if decision:
            return decision
        if hit:
            return self._answer(hit[0], ctx, Why("keyword", (normalize(text),)))
        return self._understood(text, seen, ctx)

    def _compliance(
        self,
        kind: str | None,
        text: str,
        ctx: Context,
        seen: Prediction,
        flag: safety.RedFlag | None,
        trust_model: bool = True,
    ) -> Decision | None:
        why = Why("compliance rule", (normalize(text)[:40],))
        sure = seen.score >= (STOP_MIN if seen.label == "stop" else ANSWER_MIN)
        if kind is None and seen.label in _SERVICE and sure and not flag and trust_model:
            kind, why = seen.label, Why("classifier", seen.evidence, round(seen.score, 3))
        if kind == "stop":
            return self._stop(ctx, flag, why)
        if kind in ("start", "yes") and ctx.status == STOPPED:
            return Decision(
                "start",
                self.render("start", ctx.language),
                ACTIVE,
                ConsentKind.OPT_IN,
                detail=kind,
                why=why,
            )
        if kind in ("start", "yes"):
            key = "yes" if ctx.status == PENDING else {"yes": "yes_nothing_pending"}.get(kind, kind)
            # START from an active patient changes nothing but is kept as their latest
            # word: an older STOP replayed from the spool must not undo it.
            again = ctx.status == PENDING or (kind == "start" and ctx.status == ACTIVE)
            new, consent = (ACTIVE, ConsentKind.OPT_IN) if again else (None, None)
            return Decision(
                kind, self.render(key, ctx.language), new, consent, detail=kind, why=why
            )
        if kind == "help":
            return Decision(
                "help",
                None if ctx.status == STOPPED else self.render("help", ctx.language),
                why=why,
            )
        return None

    def _stop(self, ctx: Context, flag: safety.RedFlag | None, why: Why) -> Decision:
        """An opt-out always takes effect. When the same text is an emergency or a death,
        that reply goes instead of the plain confirmation (it says what matters more)."""
        change = {
            "new_status": STOPPED,
            "consent": ConsentKind.OPT_OUT,
            "detail": why.words[0][:40],
        }
        if flag and flag.family == safety.BEREAVEMENT:
            body = self.render("bereavement_stop", ctx.language)
            return Decision("bereavement", body, flag=FLAG_BEREAVEMENT, why=why, **change)
        if flag:
            alarm = self._alarm(flag, ctx)
            return replace(alarm, why=_why(flag), **change)
        # One confirmation only: a second STOP from a stopped number gets silence.
        body = None if ctx.status == STOPPED else self.render("stop", ctx.language)
        return Decision("stop", body, why=why, **change)

    def _alarm(self, flag: safety.RedFlag, ctx: Context) -> Decision:
        if flag.family == safety.BEREAVEMENT:
            # Flag only: a person follows up; a misread must not silence a living patient.
            return Decision(
                "bereavement",
                self.render("bereavement", ctx.language),
                flag=FLAG_BEREAVEMENT,
                detail=flag.phrase,
                why=_why(flag),
            )
        key = triage.reply_key(flag)
        return Decision(
            "urgent",
            self.render(key, ctx.language),
            flag=_flag_for(flag),
            detail=flag.phrase,
            why=_why(flag),
            tier=flag.tier,
        )

    # -- check-ins and answers to reminders (after compliance and red flags) ------------

    def _review(self, text: str, decision: Decision, lang: str) -> Decision:
        """The models are unsure: the normal answer, one line to call, a review flag."""
        line = self.render("review_line", lang)
        body = triage.review_body(text, self.classifier, decision, line)
        if body is None:
            return decision
        return replace(decision, body=body, flag=Flag.REVIEW, tier=Tier.REVIEW)

    def _plain_answer(self, text: str, ctx: Context) -> bool:
        if ctx.checkin is None:
            return False
        cc, others = self._checkin_words(ctx.checkin.language)
        return read_answer(text, cc.questions[ctx.checkin.step], cc, *others).plain

    def _checkin_words(self, lang: str) -> tuple[CheckinContent, list[CheckinContent]]:
        """The check-in content in `lang`, and in the other languages (mixed answers)."""
        others = [self.content.in_language(o).checkins for o in LANGUAGES if o != lang]
        return self.content.in_language(lang).checkins, others

    def _alarm_in_checkin(self, alarm: Decision, ctx: Context) -> Decision:
        """A red flag in an answer: the alarm's reply, and the check-in stops there."""
        if ctx.checkin is None:
            return alarm
        cc = self.content.in_language(ctx.language).checkins
        return replace(alarm, checkin=checkin.interrupted(ctx.checkin, cc, alarm.body or ""))

    def _command(self, text: str, ctx: Context, group: str) -> str | None:
        """The language whose `group` words (start_words...) the whole text is, if any;
        the patient's own language first."""
        command = " ".join(words(normalize(text)))
        for lang in dict.fromkeys((ctx.language or DEFAULT_LANGUAGE, *LANGUAGES)):
            if command in self.content.in_language(lang).checkins.commands[group]:
                return lang
        return None

    def _reminder_reply(self, text: str, ctx: Context, yes: bool = False) -> Decision | None:
        """C or R (a YES is a C), only while our last text is a recent reminder."""
        if ctx.reminder is None:
            return None
        why = Why("keyword", (normalize(text)[:10],))
        if yes or self._command(text, ctx, "confirm_words"):
            cc = self.content.in_language(ctx.language).checkins
            when = ctx.reminder.when.text(ctx.language)
            body = cc.replies["confirmed"].format(when=when, **self.fill(ctx.language))
            return Decision(
                "scan_confirm", body, why=why, scan_reply=(ScanReplyKind.CONFIRMED, ctx.reminder)
            )
        if self._command(text, ctx, "reschedule_words"):
            cc = self.content.in_language(ctx.language).checkins
            body = cc.replies["reschedule"].format(**self.fill(ctx.language))
            return Decision(
                "scan_reschedule",
                body,
                flag=FLAG_RESCHEDULE,
                why=why,
                scan_reply=(ScanReplyKind.RESCHEDULE, ctx.reminder),
            )
        return None

    def _checkin(self, text: str, ctx: Context) -> Decision | None:
        """An answer to the open check-in, or CHECK / CHEQUEO to start one."""
        start_in = self._command(text, ctx, "start_words")
        if ctx.checkin is None and not (start_in and ctx.status == ACTIVE):
            return None
        lang = ctx.checkin.language if ctx.checkin else start_in
        cc = self.content.in_language(lang).checkins
        why = Why("check-in", (normalize(text)[:40],))
        if ctx.checkin is None:
            turn = checkin.start(cc, self.fill(lang))
            return Decision("checkin", turn.body, why=why, language=lang, checkin=turn)
        if start_in:  # CHECK while one is open: the waiting question again
            return Decision("checkin", cc.questions[ctx.checkin.step].ask, why=why, language=lang)
        urgent, others = self.render("urgent", lang), self._checkin_words(lang)[1]
        turn = checkin.answer(ctx.checkin, text, cc, self.fill(lang), urgent, *others)
        flag = {Escalation.URGENT: FLAG_URGENT, None: None}.get(turn.escalation, FLAG_CHECKIN)
        return Decision("checkin", turn.body, flag=flag, why=why, language=lang, checkin=turn)

    def _understood(self, text: str, seen: Prediction, ctx: Context) -> Decision:
        """Routing by meaning: the classifier's label when it is sure enough, else the
        closest topics to choose from."""
        why = Why("classifier", seen.evidence, round(seen.score, 3))
        quiet = ctx.last_was_ours and _bare_ack(text)
        if seen.label == "thanks" or quiet:
            return Decision(
                "thanks", None if quiet else self.render("thanks", ctx.language), why=why
            )
        sure = seen.score >= ANSWER_MIN and seen.label in self.answerable
        if sure and seen.label not in self.content.topics:
            return self._answer(seen.label, ctx, why)
        match = self.matcher.free_text(text)
        topic = seen.label if sure else (match.topic if match else None)
        # A topic the classifier is on the side of (score >= 0) keeps its cards; a weaker
        # one, or the topic words' guess, only leans the card choice toward it.
        strict = sure and seen.score >= 0
        # Read as about none of our topics ("what's the weather"): no cards to choose from.
        offer = not (seen.label == "unknown" and seen.score >= 0)
        decision = answer_cards.for_text(self, text, ctx, topic, why, strict, offer)
        if decision:
            return decision
        if topic:
            return self._answer(topic, ctx, why if sure else Why("topic words", (), match.score))
        return self._closest(text, seen, ctx, why)

    def _closest(self, text: str, seen: Prediction, ctx: Context, why: Why) -> Decision:
        topics = [label for label, _ in seen.ranking if label in self.content.topics]
        local = self.content.in_language(ctx.language).topics
        words_ = [local[t].keywords[0] for t in topics[:SUGGESTIONS]]
        body = self.render("unknown_closest", ctx.language, choices=_either(words_))
        flag = FLAG_UNANSWERED if _looks_like_question(text) else None
        return Decision("unknown", body, flag=flag, why=why)

    def _answer(self, topic: str, ctx: Context, why: Why) -> Decision:
        if topic == "more":
            if not ctx.last_topic:
                return Decision("more", self.render("more_none", ctx.language), why=why)
            if ctx.last_card:
                return answer_cards.more(self, ctx, why)
            if ctx.more_sent:
                return Decision("more", self.render("more_done", ctx.language), why=why)
            if ctx.last_topic == "prognosis":  # more is the care team's to say, not a topic's
                return Decision("more", self.render("more_prognosis", ctx.language), why=why)
            more = self.content.in_language(ctx.language).topics[ctx.last_topic].more
            return Decision("more", more, detail=ctx.last_topic, why=why)
        if topic == "next_scan":
            if ctx.next_scan:
                kind, when = ctx.next_scan
                said = when.text(ctx.language)
                body = self.render("next_scan_known", ctx.language, kind=kind, when=said)
                return Decision("next_scan", body, why=why)
            return Decision("next_scan", self.render("next_scan_unknown", ctx.language), why=why)
        if topic == "prognosis":
            # A person should follow up; never statistics first.
            return Decision(
                "prognosis", self.render("prognosis", ctx.language), flag=FLAG_PROGNOSIS, why=why
            )
        if topic == "unknown":  # MENU
            return Decision(topic, self.render(topic, ctx.language), why=why)
        body = answer_cards.overview(self, topic, ctx.language)
        return Decision(topic, body, detail=why.detector, why=why)


# Service intents the classifier may decide when the rules found none of their words.
_SERVICE = ("stop", "start", "yes", "help")


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


def _reply_language(
    known: str | None,
    said: tuple[str, str] | None,
    hit: tuple[str, str | None] | None,
    detected: str | None,
) -> str:
    """A Spanish command or keyword is answered in Spanish, an English keyword in English
    (HOSPICIO, HOSPICE); an English STOP or HELP in the patient's language; a sentence in
    the language it is written in; else the patient's language."""
    if said and said[1] != DEFAULT_LANGUAGE:
        return said[1]
    if said:
        return known or DEFAULT_LANGUAGE
    if hit and hit[1]:
        return hit[1]
    return detected or known or DEFAULT_LANGUAGE


def _looks_like_question(text: str) -> bool:
    """Worth a human look: a real question, not 'thanks' or 'hello'."""
    return "?" in text or len(words(normalize(text))) >= 4
