"""Reads about notices and consent: which notice is current, what a person agreed to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wellkept.consent import inventory
from wellkept.consent.models import ConsentRecord, Notice
from wellkept.orgs.models import Organisation, Participant


def current_notice(organisation: Organisation | Any) -> Notice | None:
    """Return the organisation's latest published notice, or None before the first one."""
    org_id: Any = getattr(organisation, "pk", organisation)
    return Notice.objects.filter(organisation_id=org_id).order_by("-version").first()


def notice_is_out_of_date(notice: Notice) -> bool:
    """True when the code's data inventory changed since the notice was published."""
    return notice.inventory_digest != inventory.digest()


def latest_consent(participant: Participant | Any) -> ConsentRecord | None:
    """Return the participant's most recent consent decision."""
    participant_id: Any = getattr(participant, "pk", participant)
    return (
        ConsentRecord.objects.filter(participant_id=participant_id)
        .select_related("notice")
        .order_by("-sequence")
        .first()
    )


@dataclass(frozen=True)
class ConsentState:
    """Where a participant stands: their latest decision and whether it covers today's notice."""

    record: ConsentRecord | None
    notice: Notice | None

    @property
    def taking_part(self) -> bool:
        return self.record is not None and self.record.take_part

    @property
    def needs_renewal(self) -> bool:
        """Taking part, but under an older notice: ask again before the next check-in."""
        return (
            self.taking_part
            and self.notice is not None
            and self.record is not None
            and self.record.notice_id != self.notice.pk
        )

    @property
    def may_collect(self) -> bool:
        """True only for a current consent to the current notice: no collection otherwise."""
        return self.taking_part and self.notice is not None and not self.needs_renewal

    @property
    def follow_up_contact(self) -> bool:
        return self.may_collect and self.record is not None and self.record.follow_up_contact

    @property
    def safety_alert(self) -> bool:
        return self.may_collect and self.record is not None and self.record.safety_alert


def consent_state(participant: Participant) -> ConsentState:
    """Return the participant's consent state against their organisation's current notice."""
    return ConsentState(
        record=latest_consent(participant), notice=current_notice(participant.organisation_id)
    )


def may_collect_from(participant_id: Any) -> bool:
    """True when new data may be collected from this participant now (used by the policy)."""
    participant = Participant.objects.filter(pk=participant_id).first()
    return participant is not None and consent_state(participant).may_collect


def consent_history(participant: Participant) -> list[ConsentRecord]:
    """Return every consent decision of the participant, newest first."""
    return list(
        ConsentRecord.objects.filter(participant=participant)
        .select_related("notice")
        .order_by("-sequence")
    )
