"""What a consent decision tells the apps above ``consent`` (connected in their ``ready()``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from wellkept.hooks import Hook
from wellkept.orgs.models import Participant


@dataclass(frozen=True)
class ConsentWithdrawn:
    """The person withdrew: collection in progress stops in the same transaction.

    Receivers append a short, content-free line for each thing they stopped
    to ``done``; it goes into the withdrawal's audit entry.
    """

    participant: Participant
    done: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TakingPartChanged:
    """The person's decision to take part changed (joined, left or came back)."""

    participant: Participant
    was_taking_part: bool
    takes_part: bool


CONSENT_WITHDRAWN: Hook[ConsentWithdrawn] = Hook("consent.withdrawn", ConsentWithdrawn)
TAKING_PART_CHANGED: Hook[TakingPartChanged] = Hook(
    "consent.taking_part_changed", TakingPartChanged
)
