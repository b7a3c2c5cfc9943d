"""What the bot says back: one ordered pipeline, no I/O.

    compliance -> consent -> safety -> keyword -> free text -> menu

`decide()` takes the text and what we know about the sender (a `Context`) and returns a
`Decision`: the topic, the reply (or None for silence) and the state changes to make.
The webhook and the `flask reply` command both call it; `bot.conversation.inbound`
applies the decision to the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.conversation import compliance, safety
from bot.conversation.matching import Matcher
from bot.conversation.text import normalize, words
from bot.models import ACTIVE, PENDING, STOPPED
from content import Content

# Flags shown in the staff inbox.
FLAG_URGENT, FLAG_SELF_HARM, FLAG_UNANSWERED = "urgent", "self_harm", "unanswered"
FLAG_BEREAVEMENT = "bereavement"


@dataclass(frozen=True)
class Context:
    """What we know about the sender when the text arrives."""

    status: str | None = None  # None: not enrolled (anyone may still ask questions)
    last_topic: str | None = None  # the last content topic this number asked about
    more_sent: bool = False  # whether MORE already continued that topic
    next_scan: tuple[str, str] | None = None  # (kind, local date/time text)


@dataclass(frozen=True)
class Decision:
    topic: str
    body: str | None  # None: send nothing
    new_status: str | None = None
    consent: str | None = None  # "opt_in" or "opt_out": a consent event to record
    flag: str | None = None  # staff inbox flag
    detail: str = ""  # why (keyword, red-flag phrase), for the record


@dataclass
class Pipeline:
    content: Content
    program: str
    clinic_phone: str
    matcher: Matcher = field(init=False)

    def __post_init__(self) -> None:
        self.matcher = Matcher(self.content)

    def render(self, key: str, **values: str) -> str:
        """A service reply from replies.yaml with its placeholders filled."""
        return self.content.replies[key].format(
            program=self.program, clinic_phone=self.clinic_phone, **values
        )

    def decide(self, text: str, ctx: Context) -> Decision:
        decision = self._compliance(text, ctx)
        if decision:
            return decision
        flag = safety.red_flag(text)
        if ctx.status == STOPPED:
            # Opted out: silence. A red flag is still put in front of staff, who may call.
            return Decision(
                "urgent" if flag and flag.family != safety.BEREAVEMENT else "silenced",
                None,
                flag=_flag_for(flag),
                detail=flag.phrase if flag else "",
            )
        if flag and flag.family == safety.BEREAVEMENT:
            # Flag only: a person follows up; a misread must not silence a living patient.
            return Decision(
                "bereavement", self.render("bereavement"), flag=FLAG_BEREAVEMENT, detail=flag.phrase
            )
        if flag:
            key = "urgent_self_harm" if flag.family == safety.SELF_HARM else "urgent"
            return Decision("urgent", self.render(key), flag=_flag_for(flag), detail=flag.phrase)
        topic = self.matcher.keyword(text)
        if topic:
            return self._answer(topic, ctx, detail="keyword")
        match = self.matcher.free_text(text)
        if match:
            return self._answer(match.topic, ctx, detail=f"free text {match.score:g}")
        return Decision(
            "unknown",
            self.render("unknown"),
            flag=FLAG_UNANSWERED if _looks_like_question(text) else None,
        )

    def _compliance(self, text: str, ctx: Context) -> Decision | None:
        kind = compliance.classify(text)
        if kind == "stop":
            # One confirmation only: a second STOP from a stopped number gets silence.
            body = None if ctx.status == STOPPED else self.render("stop")
            return Decision("stop", body, new_status=STOPPED, consent="opt_out", detail=text[:40])
        if kind in ("start", "yes") and ctx.status == STOPPED:
            return Decision(
                "start", self.render("start"), new_status=ACTIVE, consent="opt_in", detail=kind
            )
        if kind == "yes":
            if ctx.status == PENDING:
                return Decision(
                    "yes", self.render("yes"), new_status=ACTIVE, consent="opt_in", detail="yes"
                )
            return Decision("yes", self.render("yes_nothing_pending"))
        if kind == "start":
            if ctx.status == PENDING:
                return Decision(
                    "start", self.render("yes"), new_status=ACTIVE, consent="opt_in", detail=kind
                )
            return Decision("start", self.render("start"))
        if kind == "help" and ctx.status != STOPPED:
            return Decision("help", self.render("help"))
        if kind == "help":
            return Decision("help", None)
        return None

    def _answer(self, topic: str, ctx: Context, detail: str) -> Decision:
        if topic == "more":
            if not ctx.last_topic:
                return Decision("more", self.render("more_none"))
            if ctx.more_sent:
                return Decision("more", self.render("more_done"))
            return Decision("more", self.content.topics[ctx.last_topic].more, detail=ctx.last_topic)
        if topic == "next_scan":
            if ctx.next_scan:
                kind, when = ctx.next_scan
                return Decision("next_scan", self.render("next_scan_known", kind=kind, when=when))
            return Decision("next_scan", self.render("next_scan_unknown"))
        if topic == "unknown":  # MENU
            return Decision("unknown", self.render("unknown"))
        return Decision(topic, self.content.topics[topic].body, detail=detail)


def _flag_for(flag: safety.RedFlag | None) -> str | None:
    if flag is None:
        return None
    return {safety.SELF_HARM: FLAG_SELF_HARM, safety.BEREAVEMENT: FLAG_BEREAVEMENT}.get(
        flag.family, FLAG_URGENT
    )


def _looks_like_question(text: str) -> bool:
    """Worth a human look: a real question, not 'thanks' or 'hello'."""
    return "?" in text or len(words(normalize(text))) >= 4
