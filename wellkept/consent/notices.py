"""What a participation notice says, built from the data inventory and the organisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wellkept.consent import inventory
from wellkept.orgs.models import Organisation


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    explanation: str
    required_to_take_part: bool


CHOICES: tuple[Choice, ...] = (
    Choice(
        key="take_part",
        label="I want to take part in the wellbeing programme",
        explanation=(
            "You answer short questionnaires when you choose to and see your results at "
            "once. Leaders only ever see totals for groups of at least five people."
        ),
        required_to_take_part=True,
    ),
    Choice(
        key="follow_up_contact",
        label="A wellbeing specialist may contact me about my results",
        explanation=(
            "A specialist sees your answers under your code number, not your name, and can "
            "send you a message in Wellkept. You decide whether to reply or share who you are."
        ),
        required_to_take_part=False,
    ),
    Choice(
        key="safety_alert",
        label="Alert the follow-up team if my answers suggest I may be at risk",
        explanation=(
            "If you answer that you have had thoughts of harming yourself, the follow-up "
            "team is told your code number so that they can reach out through Wellkept. "
            "Without this choice, nobody is alerted; you always see crisis resources."
        ),
        required_to_take_part=False,
    ),
)

PROMISES: tuple[str, ...] = (
    "Taking part is voluntary. Saying no, or leaving later, has no consequence for your "
    "job, and nobody but the privacy officer can see whether you take part.",
    "Your answers are never used for discipline, performance reviews, credentialing or "
    "employment decisions. The software refuses those purposes.",
    "Your answers are encrypted with a key of your own. When you erase your data, that key "
    "is destroyed and your answers can never be read again.",
    "Your name is only ever linked to your answers if you share it yourself, or, in an "
    "emergency, through a logged step that needs two people and of which you are told.",
)

WITHDRAWAL = (
    "You can change your choices or withdraw at any time on the “My data” page. Withdrawing "
    "stops all collection at once; you can then also erase everything kept about you."
)


def build_content(*, organisation: Organisation, privacy_contact: str) -> dict[str, Any]:
    """Return the full notice as data, to be frozen into a Notice row at publication."""
    return {
        "controller": organisation.name,
        "privacy_contact": privacy_contact,
        "promises": list(PROMISES),
        "choices": [
            {
                "key": c.key,
                "label": c.label,
                "explanation": c.explanation,
                "required_to_take_part": c.required_to_take_part,
            }
            for c in CHOICES
        ],
        "data": [inventory.item_as_dict(item) for item in inventory.INVENTORY],
        "withdrawal": WITHDRAWAL,
    }


@dataclass(frozen=True)
class NoticeSummary:
    """The first layer of a notice: the few sentences that matter, from its frozen content."""

    what_taking_part_means: str
    promises: list[str]
    withdrawal: str


def notice_summary(content: dict[str, Any]) -> NoticeSummary:
    """Return the short layer of a published notice, read from what was published.

    Built from the notice's own frozen content rather than today's texts, so
    the short version can never promise what the full one (the one agreed
    to) does not say. It keeps the promises whole and the first sentence of
    the withdrawal text; what is kept, why, by whom and how long is the
    second layer, one tap away.
    """
    choices = {c.get("key"): c for c in content.get("choices", []) if isinstance(c, dict)}
    take_part = choices.get("take_part", {})
    return NoticeSummary(
        what_taking_part_means=str(take_part.get("explanation", "")),
        promises=[str(p) for p in content.get("promises", [])],
        withdrawal=_first_sentence(str(content.get("withdrawal", ""))),
    )


def _first_sentence(text: str) -> str:
    head, dot, _rest = text.partition(". ")
    return head + "." if dot else text
