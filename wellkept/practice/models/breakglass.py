"""Break-glass on a client's record (issue 18): a specialist's emergency reading, reviewed after.

A therapist of the practice who does not work with a client may, in a
safety emergency, open that client's record to read for an hour
(``BREAK_GLASS_MINUTES``), alone, with a written reason. The privacy
officers are alerted at once and one of them, never the opener, records a
review afterwards. Psychotherapy notes are never part of it (the policy's
``BREAK_GLASS_RECORD_KINDS``).

The reason and the review note are ciphertext under the client's key: they
say why someone read this person's record, so they are about the client,
and erasing the client erases them.

``ClientBreakGlassAllowance``: while one of a therapist's openings waits
for review, a second is refused; someone with the privacy role, never the
therapist, may allow exactly one more for a true second emergency, within
``BREAK_GLASS_ALLOWANCE_HOURS`` (the rule shared with break-glass on an
identity, ``access.rules``). The next opening uses it (``used_by``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from wellkept import clock
from wellkept.access.rules import BREAK_GLASS_ALLOWANCE_HOURS as BREAK_GLASS_ALLOWANCE_HOURS
from wellkept.orgs.models import Organisation
from wellkept.practice.models.clients import Client
from wellkept.vault.fields import EncryptedTextField

# The same hour as a break-glass opening of an identity (followup).
BREAK_GLASS_MINUTES = 60


class ClientBreakGlass(models.Model):
    """One break-glass opening of a client's record, its reason and its review."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="client_breakglass"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="breakglass")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    reason = EncryptedTextField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                name="client_breakglass_ends_after_it_opens",
                condition=Q(expires_at__gt=F("opened_at")),
            ),
            # Nobody reviews their own opening.
            models.CheckConstraint(
                name="client_breakglass_reviewer_not_opener",
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("opened_by")),
            ),
            # A review has a reviewer and a time, or neither.
            models.CheckConstraint(
                name="client_breakglass_review_whole",
                condition=Q(reviewed_by__isnull=True, reviewed_at__isnull=True)
                | Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["opened_by", "client", "expires_at"])]

    def __str__(self) -> str:
        return f"break-glass {self.pk} on client {self.client_id}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"

    def is_live(self) -> bool:
        return self.expires_at > clock.now()


class ClientBreakGlassAllowance(models.Model):
    """A privacy officer's leave for one more opening while a therapist's last waits for review.

    At most one unused allowance per therapist at a time (the service); never
    given to oneself (the constraint, and the service before it). The reason
    is ciphertext under the therapist's own key, as for an identity's
    allowance: it is about their emergency work, and the next client is not
    known when it is written.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="client_breakglass_allowances"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    # The opening that waited for review when the allowance was given.
    waiting = models.ForeignKey(
        ClientBreakGlass,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allowances_given",
    )
    reason = EncryptedTextField()
    used_by = models.OneToOneField(
        ClientBreakGlass,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allowance",
    )

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                name="client_breakglass_allowance_not_for_oneself",
                condition=~Q(granted_by=F("therapist")),
            ),
            models.CheckConstraint(
                name="client_breakglass_allowance_ends_after_it_starts",
                condition=Q(expires_at__gt=F("granted_at")),
            ),
        ]
        indexes = [models.Index(fields=["therapist", "organisation", "expires_at"])]

    def __str__(self) -> str:
        return f"break-glass allowance {self.pk} for {self.therapist_id}"

    @property
    def dek_subject(self) -> str:
        # The therapist's own data key (accounts.User.dek_subject), without a query.
        return f"user:{self.therapist_id}"
