"""What erasing a participant removes from follow-up: called by lifecycle.participant_erase."""

from __future__ import annotations

from wellkept.followup.models import Case, CaseMessage, CaseNote, IdentityGrant
from wellkept.orgs.models import Participant


def followup_rows(participant: Participant) -> int:
    """Count the follow-up rows filed under the participant's token."""
    return (
        Case.objects.filter(participant=participant).count()
        + CaseMessage.objects.filter(case__participant=participant).count()
        + CaseNote.objects.filter(case__participant=participant).count()
        + IdentityGrant.objects.filter(participant=participant).count()
    )


def followup_erase(participant: Participant) -> None:
    """Delete every case, message, note and grant of the participant (inside the erasure).

    Their ciphertexts are already unreadable once the data key is shredded;
    the rows go too, children first, with no reliance on cascades. The audit
    trail keeps the references, as it does for everything else.
    """
    IdentityGrant.objects.filter(participant=participant).delete()
    CaseMessage.objects.filter(case__participant=participant).delete()
    CaseNote.objects.filter(case__participant=participant).delete()
    Case.objects.filter(participant=participant).delete()
