"""What a policy decision is about: a resource kind, and one resource described by references.

A ``Resource`` holds only references (ids, never content), so the same
description feeds the decision and the audit entry. Each app registers
the scopes of its own models at ``ready()`` (``register_scope``), so that
``resource_of`` can describe them; with none registered, ``scope_for``
refuses, so no model is ever visible by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q


class ResourceKind(models.TextChoices):
    ACCOUNT = "account", "Own account and profile"
    PARTICIPANT_RECORD = "participant_record", "Participant record (token-level wellbeing data)"
    CONSENT_RECORD = "consent_record", "Consent records (token-level)"
    CONSENT_CONFIG = "consent_config", "Notices, consent settings, record of processing"
    PROGRAMME_CONFIG = "programme_config", "Wellbeing programme set-up"
    AGGREGATE = "aggregate", "Aggregate"
    FOLLOW_UP_CASE = "follow_up_case", "Follow-up case"
    # A request to turn a token back into a name, its decision and its use;
    # break-glass openings too. About one participant, owned by the requester.
    IDENTITY_GRANT = "identity_grant", "Re-identification request or grant"
    CLIENT_RECORD = "client_record", "Client record"
    PROGRESS_NOTE = "progress_note", "Progress note"
    PSYCHOTHERAPY_NOTE = "psychotherapy_note", "Psychotherapy note"
    PRACTICE_ADMIN = "practice_admin", "Appointments, billing, client demographics"
    # The practice's schedule: one appointment, owned by its therapist (their
    # calendar), assigned to the therapist's clinical supervisors.
    APPOINTMENT = "appointment", "Appointments and a therapist's calendar"
    AUDIT_TRAIL = "audit_trail", "Audit trail"
    ORG_CONFIG = "org_config", "Users, roles and organisation units"
    KEYS_BACKUPS = "keys_backups", "Keys and backups"
    RETENTION_CONFIG = "retention_config", "Retention periods, legal holds, deletion receipts"
    # A data-subject request (access, portability, erasure) received outside
    # the app, recorded by one privacy officer and approved by another; the
    # request is checked by lifecycle.subject_requests.
    SUBJECT_REQUEST = "subject_request", "Data-subject request received outside the app"
    # Release of information (issue 19): a client's authorisations, legal
    # bases, disclosures and their accounting. Assigned to the client's
    # current therapists only, never their supervisors.
    DISCLOSURE = "disclosure", "Release of information and accounting of disclosures"
    # Issue 19, the client portal: a client's invitation to it (issued and
    # revoked by their therapist or the front desk), and the client's own
    # pages, owned by the client's portal login.
    PORTAL_INVITATION = "portal_invitation", "A client's invitation to the portal"
    PORTAL = "portal", "A client's own portal pages"
    # Issue 19, secure messaging: threads about one client. Care and
    # consultation threads are clinical (the client's therapists and, to
    # read, their supervisors); scheduling and billing threads are the
    # practice administration's too. A client's own threads, seen from the
    # portal, are owned by the client's portal login, as the portal is.
    CLINICAL_MESSAGE = "clinical_message", "Care and consultation message threads"
    ADMIN_MESSAGE = "admin_message", "Scheduling and billing message threads"
    PORTAL_MESSAGE = "portal_message", "A client's own message threads in the portal"
    # Issue 19, guardians: what a minor's therapist shares with the minor's
    # guardians (decided by the therapist alone), and the guardian's own
    # portal pages about the minor, owned by the guardian's portal login.
    GUARDIAN_SHARING = "guardian_sharing", "What a minor's guardians see in the portal"
    GUARDIAN_PORTAL = "guardian_portal", "A guardian's portal pages about a minor"
    # A client's appointment request (new, or to move an appointment) from
    # the portal: the client's own; their therapist and the front desk act on it.
    PORTAL_REQUEST = "portal_request", "A client's appointment request from the portal"
    # A client's own answers to a questionnaire their therapist assigned,
    # given in the portal: the client answers and reads their results.
    PORTAL_ANSWER = "portal_answer", "A client's questionnaire answers in the portal"


# Kinds that are about one person (a participant or a client): their
# subject's consent state counts.
SUBJECT_KINDS: frozenset[ResourceKind] = frozenset(
    {
        ResourceKind.PARTICIPANT_RECORD,
        ResourceKind.CONSENT_RECORD,
        ResourceKind.FOLLOW_UP_CASE,
        ResourceKind.IDENTITY_GRANT,
        ResourceKind.CLIENT_RECORD,
        ResourceKind.PROGRESS_NOTE,
        ResourceKind.PSYCHOTHERAPY_NOTE,
        ResourceKind.PRACTICE_ADMIN,
        ResourceKind.APPOINTMENT,
        ResourceKind.SUBJECT_REQUEST,
    }
)


class Relationship(models.TextChoices):
    OWN = "own", "Own (about or written by the actor)"
    ASSIGNED = "assigned", "Assigned case or own client"
    OTHER = "other", "Someone else's, in the actor's organisation"
    UNRELATED = "unrelated", "Outside the actor's organisations"


@dataclass(frozen=True)
class Resource:
    """One resource, by reference.

    ``owner_user_id`` is the login the resource is about or was written by
    (an account, a psychotherapy note's author); ``participant_id`` a
    participant row, which is "own" only through the keyed login link;
    ``assignee_user_ids`` the staff it is assigned to (a case, a client).
    """

    kind: ResourceKind
    reference: str
    organisation_id: Any = None
    owner_user_id: Any = None
    participant_id: Any = None
    assignee_user_ids: frozenset[Any] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Scope:
    """How rows of one model relate to an actor, so ``visible`` can filter them in SQL."""

    kind: ResourceKind
    organisation_field: str
    describe: Callable[[Any], Resource]
    # Q for the rows that are the user's own, given the organisations to look in.
    own: Callable[[Any, list[Any]], Q] | None = None
    # Q for the rows assigned to the user.
    assigned: Callable[[Any], Q] | None = None


_SCOPES: dict[type[models.Model], Scope] = {}


def register_scope(model: type[models.Model], scope: Scope) -> None:
    _SCOPES[model] = scope


def scope_for(model: type[models.Model]) -> Scope:
    """Return the registered scope; fail loudly, so no model is ever visible by accident."""
    try:
        return _SCOPES[model]
    except KeyError:
        raise LookupError(
            f"{model._meta.label} has no access scope; register one from its app's ready()."
        ) from None


def resource_of(obj: models.Model) -> Resource:
    """Describe a model instance for the policy."""
    return scope_for(type(obj)).describe(obj)
