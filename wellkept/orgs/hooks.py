"""What a change of people tells the apps above ``orgs`` (connected in their ``ready()``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wellkept.hooks import Hook
from wellkept.orgs.models import Participant


@dataclass(frozen=True)
class ParticipantMoved:
    """A participant changed unit, shift type or role category; ``before`` is where they were."""

    participant: Participant
    before_unit_id: Any
    before_shift_type_id: Any
    before_role_category: str


PARTICIPANT_MOVED: Hook[ParticipantMoved] = Hook("orgs.participant_moved", ParticipantMoved)
