"""The written reasons that grants, holds and requests carry: one line, bounded, in words."""

from __future__ import annotations

import difflib
import re

from django.core.exceptions import ValidationError

# A reason is read by a second person who must be able to judge it: two
# different words and five different letters or digits is the least that
# can say anything. "aaaaaaaaaaaaaaaaaaaaaa" and "asdf asdf asdf asdf" pass a
# length check and say nothing.
MIN_DISTINCT_WORDS = 2
MIN_DISTINCT_CHARACTERS = 5
# Above this similarity (difflib's ratio, 0..1) a reason counts as a copy of
# the previous one: a full stop added or a word swapped is still a copy.
COPY_SIMILARITY = 0.9

_WORD = re.compile(r"\w+", re.UNICODE)


def _folded(text: str) -> str:
    """The reason reduced to its words, lower case, for comparing two reasons."""
    return " ".join(_WORD.findall(text.casefold()))


def is_copy(text: str, previous: str) -> bool:
    """True when ``text`` repeats ``previous`` (ignoring case, spacing and punctuation)."""
    a, b = _folded(text), _folded(previous)
    if not a or not b:
        return False
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= COPY_SIMILARITY


def reason_text(
    value: str,
    *,
    minimum: int,
    maximum: int,
    too_short: str,
    what: str,
    previous: str | None = None,
) -> str:
    """Return ``value`` on one line, or raise a message that says what to write instead.

    A reason is read by a second person (the approver, the auditor, often the
    participant), so a word or two is refused with a message that says what
    to write; line breaks are folded so the text reads the same everywhere.
    Filler (one character repeated, one word repeated) is refused like a
    reason that is too short, and so is a copy of ``previous``, the same
    person's last reason for the same kind of step, when the caller gives it.
    """
    text = " ".join((value or "").split())
    if len(text) < minimum:
        raise ValidationError(too_short, code="reason_short")
    if len(text) > maximum:
        raise ValidationError(
            f"Keep {what} under {maximum} characters (it has {len(text)}).", code="reason_long"
        )
    words = set(_WORD.findall(text.casefold()))
    characters = {c for c in text.casefold() if c.isalnum()}
    if len(words) < MIN_DISTINCT_WORDS or len(characters) < MIN_DISTINCT_CHARACTERS:
        raise ValidationError(
            f"Write {what} in your own words: it repeats the same character or word, so a "
            "reader could not tell why. Say what happened and why this step is needed.",
            code="reason_filler",
        )
    if previous and is_copy(text, previous):
        raise ValidationError(
            f"Write {what} for this occasion: it repeats your previous one. Say what is "
            "different this time.",
            code="reason_copied",
        )
    return text
