"""How many messages one side may write to one case within an hour, counted in the cache.

Each message from the team sends the participant an e-mail and lands in
an encrypted table, and each reply lands there too: without a ceiling a
runaway script, a hostile colleague or a stolen session could flood a
person's mailbox or the database. The limits are far above what a real
conversation needs. Counters live in the shared cache (Redis when several
app servers run), keyed by a keyed hash, so the cache holds no case id or
token in clear. The window is fixed (the clock hour), so the refusal can
say how long to wait.
"""

from __future__ import annotations

import math

from django.core.cache import cache
from django.core.exceptions import ValidationError

from wellkept import clock
from wellkept.vault.services import blind_index

WINDOW_SECONDS = 60 * 60
TEAM_MESSAGES_PER_HOUR = 20
PARTICIPANT_MESSAGES_PER_HOUR = 20

_PREFIX = "wellkept:followup:messages"


def message_allowance_take(*, sender: str, limit: int) -> None:
    """Count one message of ``sender`` (e.g. "team:<user>:<case>"), or refuse it clearly."""
    now = clock.now().timestamp()
    window = int(now // WINDOW_SECONDS)
    key = f"{_PREFIX}:{blind_index('followup.messages', sender)}:{window}"
    # add() then incr() is atomic in Redis and in the local-memory cache, so
    # two requests at once cannot both take the last message.
    cache.add(key, 0, timeout=WINDOW_SECONDS + 60)
    try:
        sent = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first
        cache.set(key, 1, timeout=WINDOW_SECONDS + 60)
        sent = 1
    if sent > limit:
        minutes = max(1, math.ceil(((window + 1) * WINDOW_SECONDS - now) / 60))
        raise ValidationError(
            f"Too many messages in this conversation within an hour (at most {limit}). "
            f"Wait {minutes} minute{'s' if minutes != 1 else ''}, then send it again; "
            "nothing was sent.",
            code="too_many_messages",
        )
