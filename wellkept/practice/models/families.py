"""Couples and family cases: clients of one practice seen together, each keeping their own record.

A case groups two or more clients under a random code ("F-7K3Q9", no names)
and names the therapists who see them together. Nothing clinical is stored
on the case: a joint progress note is written once and kept as one
``ProgressNote`` per member, each encrypted under that member's own data
key. So each member's chart holds only their copy, and erasing one member
crypto-shreds their copy alone while the others keep theirs. The rows here
hold only references, dates and the kind of case, in clear.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from wellkept import clock
from wellkept.orgs.models import Organisation
from wellkept.practice.models.clients import CODE_ALPHABET, CODE_CHARACTERS, CODE_LENGTH, Client
from wellkept.practice.models.notes import ProgressNote


def new_case_code() -> str:
    """Return a random case code: as a client code, meaningless, with its own letter."""
    return "F-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_CHARACTERS))


class CaseKind(models.TextChoices):
    COUPLE = "couple", "Couple"
    FAMILY = "family", "Family"


class Case(models.Model):
    """Clients of one practice seen together (a couple, a family); no clinical content."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="practice_cases"
    )
    code = models.CharField(max_length=CODE_LENGTH, default=new_case_code, editable=False)
    kind = models.CharField(max_length=16, choices=CaseKind.choices)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["organisation", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="case_unique_code"),
            models.CheckConstraint(
                name="case_kind_valid", condition=models.Q(kind__in=CaseKind.values)
            ),
            models.CheckConstraint(
                name="case_code_length",
                condition=models.Q(Exact(Length("code"), CODE_LENGTH)),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CaseMember(models.Model):
    """A client taking part in a case from ``since``; ``until`` is set when they leave it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members")
    # Erasing the client takes their membership along: the case keeps no trace of them.
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="case_memberships")
    since = models.DateTimeField(default=clock.now)
    until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case", "since"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "client"],
                condition=models.Q(until__isnull=True),
                name="case_member_one_current",
            ),
            models.CheckConstraint(
                name="case_member_ends_after_start",
                condition=models.Q(until__isnull=True) | models.Q(until__gte=models.F("since")),
            ),
        ]

    def __str__(self) -> str:
        return f"member {self.client_id} of {self.case_id}"


class CaseTherapist(models.Model):
    """A therapist seeing a case from ``since``; ``until`` is set when they stop."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="therapists")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_assignments"
    )
    since = models.DateTimeField(default=clock.now)
    until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case", "since"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "therapist"],
                condition=models.Q(until__isnull=True),
                name="case_therapist_one_current",
            ),
            models.CheckConstraint(
                name="case_therapist_ends_after_start",
                condition=models.Q(until__isnull=True) | models.Q(until__gte=models.F("since")),
            ),
        ]

    def __str__(self) -> str:
        return f"therapist of {self.case_id}"


class JointNote(models.Model):
    """One joint session's note: who wrote it, for which case and day. Content is in the copies."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="joint_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="joint_notes"
    )
    service_date = models.DateField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["case", "-service_date", "-created_at"]

    def __str__(self) -> str:
        return f"joint note {self.pk}"


class JointNoteCopy(models.Model):
    """Links a member's own progress note (under their key) to the joint session it records."""

    joint = models.ForeignKey(JointNote, on_delete=models.CASCADE, related_name="copies")
    # The member's copy goes with the member: erasure deletes it, and this link too.
    note = models.OneToOneField(ProgressNote, on_delete=models.CASCADE, related_name="joint_copy")

    class Meta:
        ordering = ["joint", "note"]

    def __str__(self) -> str:
        return f"copy {self.note_id} of {self.joint_id}"
