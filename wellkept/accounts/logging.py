"""A logging filter that keeps link secrets out of log lines."""

from __future__ import annotations

import logging
import re

# The path segments after these prefixes are bearer secrets (an invitation
# token, a password reset key) or name a login that takes part (a signed
# reminder-unsubscribe value). Django logs request paths on 404s, CSRF
# failures and errors; the rest of the path stays, for debugging.
_LINK_SECRET = re.compile(
    r"(/accounts/(?:invite|password/reset/key)/|/reminders/unsubscribe/)"
    r"(?!accept/|done/)[^\s/?#'\"<>]+"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Return ``text`` with link secrets replaced."""
    return _LINK_SECRET.sub(rf"\g<1>{REDACTED}", text)


class RedactLinkSecrets(logging.Filter):
    """Rewrite a record's message so that no invitation token or reset key survives."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to the formatter
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
