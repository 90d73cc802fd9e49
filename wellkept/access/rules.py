"""DESIGN.md's roles table, written out as rules: deny by default, one line per grant.

A rule names a role, a resource kind, the relationships it covers, the
actions and the lawful purposes. Anything no rule names is refused. The
table is checked when it is imported: a rule naming a prohibited purpose,
reaching unrelated resources (other than a command's) or standing in for a
re-identification grant stops the server from starting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from wellkept.access.actions import Action
from wellkept.access.purposes import PROHIBITED, Purpose
from wellkept.access.resources import Relationship, ResourceKind


class AccessRole(models.TextChoices):
    """The roles of DESIGN.md's table, plus commands and jobs. HR and line managers have none."""

    PARTICIPANT = "participant", "Participant"
    LEADER = "leader", "Leader"
    WELLBEING_OFFICER = "wellbeing_officer", "Wellbeing officer"
    SPECIALIST = "specialist", "Specialist / therapist"
    FRONT_DESK = "front_desk", "Front desk"
    BILLING = "billing", "Billing"
    CLINICAL_SUPERVISOR = "clinical_supervisor", "Clinical supervisor"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    SYSTEM_ADMIN = "system_admin", "System administrator"
    SYSTEM = "system", "Command or job"


STAFF_ROLES = frozenset(AccessRole) - {AccessRole.PARTICIPANT, AccessRole.SYSTEM}
# Purposes under which a withdrawn consent does not hide a subject's record.
CONSENT_EXEMPT_PURPOSES = frozenset({Purpose.LEGAL_OBLIGATION, Purpose.AUDIT_OVERSIGHT})


@dataclass(frozen=True)
class Rule:
    role: AccessRole
    kind: ResourceKind
    relationships: frozenset[Relationship]
    actions: frozenset[Action]
    purposes: frozenset[Purpose]
    without_consent: bool = False


def _rule(
    role: AccessRole,
    kind: ResourceKind,
    relationships: Iterable[Relationship],
    actions: Iterable[Action],
    purposes: Iterable[Purpose],
    *,
    without_consent: bool = False,
) -> Rule:
    return Rule(
        role=role,
        kind=kind,
        relationships=frozenset(relationships),
        actions=frozenset(actions),
        purposes=frozenset(purposes),
        without_consent=without_consent,
    )


R = AccessRole
K = ResourceKind
A = Action
P = Purpose
OWN, ASSIGNED, OTHER = Relationship.OWN, Relationship.ASSIGNED, Relationship.OTHER
# SystemActor rules ignore the relationship: a command acts on the whole installation.
ANY_RELATIONSHIP = frozenset(Relationship)

RULES: tuple[Rule, ...] = (
    # Everyone signed in looks after their own account.
    *(_rule(role, K.ACCOUNT, [OWN], [A.READ, A.UPDATE], [P.SELF_SERVICE]) for role in STAFF_ROLES),
    _rule(R.PARTICIPANT, K.ACCOUNT, [OWN], [A.READ, A.UPDATE], [P.SELF_SERVICE]),
    # Participant: own answers, scores, history, and who accessed them.
    # Seeing, exporting and erasing stay possible after consent is withdrawn;
    # collecting (create, update) does not.
    _rule(
        R.PARTICIPANT,
        K.PARTICIPANT_RECORD,
        [OWN],
        [A.READ, A.EXPORT, A.DELETE],
        [P.SELF_SERVICE],
        without_consent=True,
    ),
    _rule(R.PARTICIPANT, K.PARTICIPANT_RECORD, [OWN], [A.CREATE, A.UPDATE], [P.SELF_SERVICE]),
    _rule(R.PARTICIPANT, K.AUDIT_TRAIL, [OWN], [A.READ], [P.SELF_SERVICE], without_consent=True),
    # Consent records: one must be able to give, see and withdraw consent
    # without already holding it.
    _rule(
        R.PARTICIPANT,
        K.CONSENT_RECORD,
        [OWN],
        [A.READ, A.CREATE, A.EXPORT, A.DELETE],
        [P.SELF_SERVICE],
        without_consent=True,
    ),
    # Their own follow-up case: the conversation stays readable after leaving
    # (and until erasure); asking, replying and sharing need consent.
    _rule(
        R.PARTICIPANT,
        K.FOLLOW_UP_CASE,
        [OWN],
        [A.READ, A.EXPORT],
        [P.SELF_SERVICE],
        without_consent=True,
    ),
    _rule(R.PARTICIPANT, K.FOLLOW_UP_CASE, [OWN], [A.CREATE, A.UPDATE], [P.SELF_SERVICE]),
    # Who looked them up, when and why.
    _rule(
        R.PARTICIPANT,
        K.IDENTITY_GRANT,
        [OWN],
        [A.READ],
        [P.SELF_SERVICE],
        without_consent=True,
    ),
    # Leader: aggregates that pass disclosure control, nothing else. Exports
    # (CSV, PDF, FHIR MeasureReport) carry the same released figures.
    _rule(
        R.LEADER,
        K.AGGREGATE,
        [OTHER],
        [A.VIEW_AGGREGATE, A.EXPORT],
        [P.QUALITY_IMPROVEMENT_AGGREGATE],
    ),
    # Wellbeing officer: aggregates, the token-level follow-up queue, assigned cases.
    _rule(
        R.WELLBEING_OFFICER,
        K.AGGREGATE,
        [OTHER],
        [A.VIEW_AGGREGATE, A.EXPORT],
        [P.QUALITY_IMPROVEMENT_AGGREGATE, P.BURNOUT_FOLLOW_UP],
    ),
    # Both follow-up roles see the organisation's queue by token and take
    # cases from it; they work their assigned cases and read the token-level
    # record behind them. Writing to a case (messages, notes, closing) is
    # for its assignee only.
    *(
        rule
        for role in (R.WELLBEING_OFFICER, R.SPECIALIST)
        for rule in (
            _rule(
                role,
                K.FOLLOW_UP_CASE,
                [OTHER],
                [A.READ, A.FOLLOW_UP],
                [P.BURNOUT_FOLLOW_UP, P.SAFETY_EMERGENCY],
            ),
            _rule(
                role,
                K.FOLLOW_UP_CASE,
                [ASSIGNED],
                [A.READ, A.UPDATE, A.FOLLOW_UP],
                [P.BURNOUT_FOLLOW_UP, P.SAFETY_EMERGENCY],
            ),
            _rule(
                role,
                K.PARTICIPANT_RECORD,
                [ASSIGNED],
                [A.READ],
                [P.BURNOUT_FOLLOW_UP, P.SAFETY_EMERGENCY],
            ),
            # A re-identification request is the requester's own; the name
            # behind it needs an approved grant (see policy), never a rule.
            _rule(
                role,
                K.IDENTITY_GRANT,
                [OWN],
                [A.READ, A.CREATE],
                [P.BURNOUT_FOLLOW_UP, P.SAFETY_EMERGENCY],
            ),
        )
    ),
    # Specialist / therapist: also own clients' records and notes, own
    # psychotherapy notes only.
    _rule(
        R.SPECIALIST,
        K.CLIENT_RECORD,
        [ASSIGNED],
        [A.READ, A.UPDATE],
        [P.CLINICAL_CARE, P.SAFETY_EMERGENCY],
    ),
    _rule(
        R.SPECIALIST,
        K.CLIENT_RECORD,
        [ASSIGNED],
        [A.READ, A.EXPORT],
        [P.LEGAL_OBLIGATION],
    ),
    _rule(
        R.SPECIALIST,
        K.PROGRESS_NOTE,
        [OWN, ASSIGNED],
        [A.READ, A.CREATE, A.UPDATE],
        [P.CLINICAL_CARE, P.SAFETY_EMERGENCY],
    ),
    # OWN is "written by this therapist": another therapist's psychotherapy
    # notes stay out of reach even for a shared client.
    _rule(
        R.SPECIALIST,
        K.PSYCHOTHERAPY_NOTE,
        [OWN],
        [A.READ, A.CREATE, A.UPDATE, A.DELETE],
        [P.CLINICAL_CARE],
    ),
    _rule(R.SPECIALIST, K.PRACTICE_ADMIN, [ASSIGNED], [A.READ], [P.CLINICAL_CARE]),
    # Front desk: demographics, appointments, billing; no clinical content.
    _rule(
        R.FRONT_DESK,
        K.PRACTICE_ADMIN,
        [ASSIGNED, OTHER],
        [A.READ, A.CREATE, A.UPDATE],
        [P.CLINICAL_CARE],
    ),
    _rule(R.FRONT_DESK, K.PRACTICE_ADMIN, [ASSIGNED, OTHER], [A.EXPORT], [P.LEGAL_OBLIGATION]),
    # Billing: the same practice-administration side (demographics, schedule,
    # money) as the front desk, and no clinical kind at all.
    _rule(
        R.BILLING,
        K.PRACTICE_ADMIN,
        [ASSIGNED, OTHER],
        [A.READ, A.CREATE, A.UPDATE],
        [P.CLINICAL_CARE],
    ),
    _rule(R.BILLING, K.PRACTICE_ADMIN, [ASSIGNED, OTHER], [A.EXPORT], [P.LEGAL_OBLIGATION]),
    # Clinical supervisor: ASSIGNED is "a client of one of my supervisees"
    # (the practice's scope adds the supervisor to the client's assignees).
    # Reads the record and the progress notes, and updates a note only to
    # co-sign it; psychotherapy notes are not in reach, not even by kind.
    _rule(
        R.CLINICAL_SUPERVISOR,
        K.CLIENT_RECORD,
        [ASSIGNED],
        [A.READ],
        [P.CLINICAL_CARE],
    ),
    _rule(
        R.CLINICAL_SUPERVISOR,
        K.PROGRESS_NOTE,
        [ASSIGNED],
        [A.READ, A.UPDATE],
        [P.CLINICAL_CARE],
    ),
    _rule(R.CLINICAL_SUPERVISOR, K.PRACTICE_ADMIN, [ASSIGNED], [A.READ], [P.CLINICAL_CARE]),
    # Schedule (issue 18, part 2): a therapist books and changes their own
    # calendar (OWN: the appointment's therapist); the front desk books for
    # any therapist; billing reads the schedule but never books; a clinical
    # supervisor reads the calendars of the therapists they supervise.
    _rule(R.SPECIALIST, K.APPOINTMENT, [OWN], [A.READ, A.CREATE, A.UPDATE], [P.CLINICAL_CARE]),
    _rule(
        R.FRONT_DESK,
        K.APPOINTMENT,
        [ASSIGNED, OTHER],
        [A.READ, A.CREATE, A.UPDATE],
        [P.CLINICAL_CARE],
    ),
    _rule(R.BILLING, K.APPOINTMENT, [ASSIGNED, OTHER], [A.READ], [P.CLINICAL_CARE]),
    _rule(R.CLINICAL_SUPERVISOR, K.APPOINTMENT, [ASSIGNED], [A.READ], [P.CLINICAL_CARE]),
    # Client portal (issue 19): the client's therapist, or the front desk,
    # invites a client and revokes the invitation; billing and supervisors do
    # not. ASSIGNED is the client's scope (therapists and their supervisors).
    _rule(
        R.SPECIALIST,
        K.PORTAL_INVITATION,
        [ASSIGNED],
        [A.READ, A.CREATE, A.DELETE],
        [P.CLINICAL_CARE],
    ),
    _rule(
        R.FRONT_DESK,
        K.PORTAL_INVITATION,
        [ASSIGNED, OTHER],
        [A.READ, A.CREATE, A.DELETE],
        [P.CLINICAL_CARE],
    ),
    # The client's own pages: a portal login holds no staff role, so for its
    # own, organisation-less portal it is the signed-in person of the table
    # (as with their own account); OWN is the portal membership's login.
    _rule(
        R.PARTICIPANT, K.PORTAL, [OWN], [A.READ, A.EXPORT], [P.SELF_SERVICE], without_consent=True
    ),
    # ... and signs or withdraws its own consent forms there (issue 19): the
    # client's own agreement, which nobody else may give or take back.
    _rule(R.PARTICIPANT, K.PORTAL, [OWN], [A.UPDATE], [P.SELF_SERVICE], without_consent=True),
    # Secure messaging (issue 19): the client's current therapists write
    # care and consultation threads; their supervisors read them (to
    # supervise) but never write in a client's conversation. Scheduling and
    # billing threads are the front desk's and billing's, and the
    # therapists'. The client writes their own threads from the portal
    # (never a consultation thread: those have no portal owner). The privacy
    # officer reads no message at all.
    _rule(R.SPECIALIST, K.CLINICAL_MESSAGE, [ASSIGNED], [A.READ, A.CREATE], [P.CLINICAL_CARE]),
    _rule(R.CLINICAL_SUPERVISOR, K.CLINICAL_MESSAGE, [ASSIGNED], [A.READ], [P.CLINICAL_CARE]),
    _rule(R.SPECIALIST, K.ADMIN_MESSAGE, [ASSIGNED], [A.READ, A.CREATE], [P.CLINICAL_CARE]),
    _rule(R.FRONT_DESK, K.ADMIN_MESSAGE, [ASSIGNED, OTHER], [A.READ, A.CREATE], [P.CLINICAL_CARE]),
    _rule(R.BILLING, K.ADMIN_MESSAGE, [ASSIGNED, OTHER], [A.READ, A.CREATE], [P.CLINICAL_CARE]),
    _rule(
        R.PARTICIPANT,
        K.PORTAL_MESSAGE,
        [OWN],
        [A.READ, A.CREATE],
        [P.SELF_SERVICE],
        without_consent=True,
    ),
    # Portal appointment requests (issue 19): the client makes, reads and
    # withdraws their own (OWN: the portal login), and cancels their own
    # appointment through it; the client's therapist (ASSIGNED) and the front
    # desk read and accept or decline them. Billing and supervisors: no rule.
    _rule(
        R.PARTICIPANT,
        K.PORTAL_REQUEST,
        [OWN],
        [A.READ, A.CREATE, A.UPDATE],
        [P.SELF_SERVICE],
        without_consent=True,
    ),
    _rule(R.SPECIALIST, K.PORTAL_REQUEST, [ASSIGNED], [A.READ, A.UPDATE], [P.CLINICAL_CARE]),
    _rule(R.FRONT_DESK, K.PORTAL_REQUEST, [ASSIGNED, OTHER], [A.READ, A.UPDATE], [P.CLINICAL_CARE]),
    # Questionnaires in the portal: only the client answers for themselves
    # and reads their own results; staff read them as the client's measures
    # (K.CLIENT_RECORD), never through the portal.
    _rule(
        R.PARTICIPANT,
        K.PORTAL_ANSWER,
        [OWN],
        [A.READ, A.CREATE],
        [P.SELF_SERVICE],
        without_consent=True,
    ),
    # Guardians (issue 19): a minor's own therapist alone decides what the
    # minor's guardians see, invites them and ends their access; not the
    # front desk (what is shared is a clinical judgement), not a supervisor:
    # ASSIGNED here is the minor's current therapists only (portal.scopes).
    _rule(
        R.SPECIALIST,
        K.GUARDIAN_SHARING,
        [ASSIGNED],
        [A.READ, A.CREATE, A.UPDATE, A.DELETE],
        [P.CLINICAL_CARE],
    ),
    # Demo seeding shares a minor's appointments and invites the guardian.
    _rule(
        R.SYSTEM,
        K.GUARDIAN_SHARING,
        ANY_RELATIONSHIP,
        [A.READ, A.CREATE, A.UPDATE, A.DELETE],
        [P.SERVICE_ADMINISTRATION],
    ),
    # A guardian's portal login reads its own pages about the minor, as a
    # client's does; which sections exist for it is the sharing's decision,
    # checked by the portal's accessor (portal.guardians.guardian_page).
    _rule(
        R.PARTICIPANT,
        K.GUARDIAN_PORTAL,
        [OWN],
        [A.READ, A.EXPORT],
        [P.SELF_SERVICE],
        without_consent=True,
    ),
    _rule(
        R.PRIVACY_OFFICER,
        K.AUDIT_TRAIL,
        [OWN, OTHER],
        [A.READ, A.EXPORT],
        [P.AUDIT_OVERSIGHT, P.LEGAL_OBLIGATION],
    ),
    _rule(R.PRIVACY_OFFICER, K.ORG_CONFIG, [OTHER], [A.READ], [P.AUDIT_OVERSIGHT]),
    # ... the second person of re-identification: decides and reviews other
    # people's requests. Never OWN: nobody approves or reviews their own.
    _rule(
        R.PRIVACY_OFFICER,
        K.IDENTITY_GRANT,
        [OTHER],
        [A.READ, A.UPDATE],
        [P.AUDIT_OVERSIGHT, P.LEGAL_OBLIGATION],
    ),
    # ... and the consent side: who consented to which notice, by token
    # (nobody else learns who declined or left), and the notices themselves.
    _rule(
        R.PRIVACY_OFFICER,
        K.CONSENT_RECORD,
        [OTHER],
        [A.READ, A.EXPORT],
        [P.AUDIT_OVERSIGHT, P.LEGAL_OBLIGATION],
    ),
    _rule(
        R.PRIVACY_OFFICER,
        K.CONSENT_CONFIG,
        [OTHER],
        [A.READ, A.CREATE, A.UPDATE],
        [P.AUDIT_OVERSIGHT, P.LEGAL_OBLIGATION],
    ),
    # ... retention periods and legal holds (issue 7), and data-subject
    # requests received outside the app: legal obligation only. One officer
    # records a request, another decides it (the recorder stands to it as
    # owner, which is not granted here), and only the recorder's approved,
    # unexpired request reaches a participant (checked by
    # lifecycle.subject_requests before the policy is asked).
    _rule(
        R.PRIVACY_OFFICER,
        K.RETENTION_CONFIG,
        [OTHER],
        [A.READ, A.CREATE, A.UPDATE],
        [P.AUDIT_OVERSIGHT, P.LEGAL_OBLIGATION],
    ),
    _rule(
        R.PRIVACY_OFFICER,
        K.SUBJECT_REQUEST,
        [OTHER],
        [A.READ, A.CREATE, A.UPDATE, A.EXPORT, A.DELETE],
        [P.LEGAL_OBLIGATION],
    ),
    # System administrator: users, roles, units, keys, backups; no clinical
    # content and no identities behind tokens.
    _rule(
        R.SYSTEM_ADMIN,
        K.ORG_CONFIG,
        [OTHER],
        [A.READ, A.CREATE, A.UPDATE, A.DELETE],
        [P.SERVICE_ADMINISTRATION],
    ),
    _rule(
        R.SYSTEM_ADMIN,
        K.PROGRAMME_CONFIG,
        [OTHER],
        [A.READ, A.CREATE, A.UPDATE, A.DELETE],
        [P.SERVICE_ADMINISTRATION],
    ),
    _rule(
        R.SYSTEM_ADMIN,
        K.KEYS_BACKUPS,
        [OTHER],
        [A.READ, A.CREATE, A.UPDATE, A.EXPORT],
        [P.SERVICE_ADMINISTRATION],
    ),
    # Commands and jobs: maintenance only (organisation set-up, key rotation
    # and shredding, backups, audit verification and export).
    _rule(
        R.SYSTEM,
        K.ORG_CONFIG,
        ANY_RELATIONSHIP,
        [A.READ, A.CREATE, A.UPDATE, A.DELETE],
        [P.SERVICE_ADMINISTRATION],
    ),
    _rule(
        R.SYSTEM,
        K.KEYS_BACKUPS,
        ANY_RELATIONSHIP,
        [A.READ, A.CREATE, A.UPDATE, A.DELETE, A.EXPORT],
        [P.SERVICE_ADMINISTRATION],
    ),
    _rule(R.SYSTEM, K.AUDIT_TRAIL, ANY_RELATIONSHIP, [A.READ, A.EXPORT], [P.AUDIT_OVERSIGHT]),
    _rule(
        R.SYSTEM,
        K.PROGRAMME_CONFIG,
        ANY_RELATIONSHIP,
        [A.READ, A.CREATE, A.UPDATE, A.DELETE],
        [P.SERVICE_ADMINISTRATION],
    ),
    _rule(
        R.SYSTEM,
        K.CONSENT_CONFIG,
        ANY_RELATIONSHIP,
        [A.READ, A.CREATE, A.UPDATE],
        [P.SERVICE_ADMINISTRATION],
    ),
    # Jobs that work on token-level records without reading their content:
    # reminders (is a check-in due?), demo and benchmark seeding, erasure on
    # request or at the end of retention.
    _rule(
        R.SYSTEM,
        K.PARTICIPANT_RECORD,
        ANY_RELATIONSHIP,
        [A.READ, A.CREATE, A.DELETE],
        [P.SERVICE_ADMINISTRATION],
    ),
    _rule(
        R.SYSTEM,
        K.CONSENT_RECORD,
        ANY_RELATIONSHIP,
        [A.READ, A.CREATE, A.DELETE],
        [P.SERVICE_ADMINISTRATION],
    ),
    # The follow-up deadline job: which cases wait untaken, by state and day
    # only (it reads no message, note or result).
    _rule(
        R.SYSTEM,
        K.FOLLOW_UP_CASE,
        ANY_RELATIONSHIP,
        [A.READ],
        [P.SERVICE_ADMINISTRATION],
    ),
    # Practice jobs: demo seeding creates and assigns clients; erasure (on
    # request or at the end of retention) destroys a client's record. They
    # read no clinical content.
    _rule(
        R.SYSTEM,
        K.PRACTICE_ADMIN,
        ANY_RELATIONSHIP,
        [A.READ, A.CREATE, A.UPDATE],
        [P.SERVICE_ADMINISTRATION],
    ),
    _rule(
        R.SYSTEM,
        K.CLIENT_RECORD,
        ANY_RELATIONSHIP,
        [A.DELETE],
        [P.SERVICE_ADMINISTRATION],
    ),
    # Portal jobs (issue 19): demo seeding invites its demo client.
    _rule(
        R.SYSTEM,
        K.PORTAL_INVITATION,
        ANY_RELATIONSHIP,
        [A.READ, A.CREATE, A.DELETE],
        [P.SERVICE_ADMINISTRATION],
    ),
    # Messaging jobs (issue 19): demo seeding starts threads; the
    # out-of-hours auto-reply is written by the system.
    *(
        _rule(R.SYSTEM, kind, ANY_RELATIONSHIP, [A.READ, A.CREATE], [P.SERVICE_ADMINISTRATION])
        for kind in (K.CLINICAL_MESSAGE, K.ADMIN_MESSAGE)
    ),
    # Schedule jobs (issue 18, part 2): demo seeding books appointments; the
    # reminder job reads the day's appointments and marks them reminded.
    _rule(
        R.SYSTEM,
        K.APPOINTMENT,
        ANY_RELATIONSHIP,
        [A.READ, A.CREATE, A.UPDATE],
        [P.SERVICE_ADMINISTRATION],
    ),
    # Retention runs: read the periods and holds, delete what expired.
    _rule(
        R.SYSTEM,
        K.RETENTION_CONFIG,
        ANY_RELATIONSHIP,
        [A.READ, A.UPDATE, A.DELETE],
        [P.SERVICE_ADMINISTRATION],
    ),
    # Rebuilding the aggregate store from the encrypted responses.
    _rule(
        R.SYSTEM,
        K.AGGREGATE,
        ANY_RELATIONSHIP,
        [A.READ, A.UPDATE],
        [P.SERVICE_ADMINISTRATION],
    ),
    # Release of information (issue 19): the client's own therapist records
    # authorisations and legal bases and makes disclosures; the privacy
    # officer reads the accounting across the practice (never the released
    # content, which leaves only through the recipient's link). Nobody else,
    # not even the therapist's supervisor.
    _rule(
        R.SPECIALIST,
        K.DISCLOSURE,
        [ASSIGNED],
        [A.READ, A.CREATE, A.UPDATE, A.EXPORT],
        [P.CLINICAL_CARE, P.LEGAL_OBLIGATION],
    ),
    _rule(R.PRIVACY_OFFICER, K.DISCLOSURE, [OTHER], [A.READ], [P.AUDIT_OVERSIGHT]),
    # Demo seeding records one authorisation and one disclosure.
    _rule(
        R.SYSTEM,
        K.DISCLOSURE,
        ANY_RELATIONSHIP,
        [A.READ, A.CREATE, A.UPDATE],
        [P.SERVICE_ADMINISTRATION],
    ),
)

# Break-glass (one identity at once, in a safety emergency, reviewed
# afterwards) is for these roles and this purpose only; see policy.
BREAK_GLASS_ROLES: frozenset[AccessRole] = frozenset({R.SPECIALIST})
BREAK_GLASS_PURPOSE = P.SAFETY_EMERGENCY
# While one of a specialist's openings waits for review, someone with the
# privacy role (never the specialist) may allow exactly one more, usable
# within these hours; shared by break-glass on an identity (followup) and on
# a client's record (practice).
BREAK_GLASS_ALLOWANCE_HOURS = 24
# A break-glass opening of a client's record (issue 18) lets the specialist
# read these kinds for a while: the record, its progress notes and the
# client's details. Never a psychotherapy note (docs/psychotherapy-notes.md),
# and never a write: the policy consults an opening for READ only.
BREAK_GLASS_RECORD_KINDS: frozenset[ResourceKind] = frozenset(
    {K.CLIENT_RECORD, K.PROGRESS_NOTE, K.PRACTICE_ADMIN}
)

del R, K, A, P


def _check_rules(rules: Iterable[Rule]) -> None:
    for rule in rules:
        if rule.purposes & PROHIBITED:
            raise ImproperlyConfigured(f"A rule allows a prohibited purpose: {rule}.")
        if Relationship.UNRELATED in rule.relationships and rule.role != AccessRole.SYSTEM:
            raise ImproperlyConfigured(f"Only commands reach unrelated resources: {rule}.")
        if Action.READ_IDENTITY in rule.actions:
            raise ImproperlyConfigured("Re-identification needs a grant, never a standing rule.")


# Checked at import: a table that allowed a prohibited purpose would not start.
_check_rules(RULES)
if ResourceKind.PSYCHOTHERAPY_NOTE in BREAK_GLASS_RECORD_KINDS:
    raise ImproperlyConfigured("Break-glass never reaches a psychotherapy note.")
