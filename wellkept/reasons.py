"""The written reasons that grants, holds and requests carry: one line, bounded."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def reason_text(value: str, *, minimum: int, maximum: int, too_short: str, what: str) -> str:
    """Return ``value`` on one line, or raise ``too_short`` / a too-long message.

    A reason is read by a second person (the approver, the auditor, often the
    participant), so a word or two is refused with a message that says what
    to write; line breaks are folded so the text reads the same everywhere.
    """
    text = " ".join((value or "").split())
    if len(text) < minimum:
        raise ValidationError(too_short, code="reason_short")
    if len(text) > maximum:
        raise ValidationError(
            f"Keep {what} under {maximum} characters (it has {len(text)}).", code="reason_long"
        )
    return text
