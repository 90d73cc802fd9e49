"""Every role x action x resource kind x relationship gives DESIGN.md's answer, audited once.

The expected answers are written out below by hand from DESIGN.md's roles
table, not derived from wellkept.access.rules: if the two disagree, one of
them is wrong and a person has to decide which. Every line is an allowed
cell; every cell not listed must be refused.
"""

from __future__ import annotations

import pytest

from wellkept.access import people
from wellkept.access.actions import Action
from wellkept.access.policy import can, decide
from wellkept.access.purposes import LAWFUL, PROHIBITED, Purpose
from wellkept.access.resources import Relationship, Resource, ResourceKind
from wellkept.audit.tests import trail

pytestmark = pytest.mark.django_db


class _Remembered:
    """The registered People source, each answer asked once: nobody's roles change mid-sweep."""

    def __init__(self, source: people.People) -> None:
        self._source = source
        self._answers: dict[tuple[str, tuple[object, ...]], object] = {}

    def _ask(self, name: str, *args: object) -> object:
        key = (name, tuple(str(a) for a in args))
        if key not in self._answers:
            self._answers[key] = getattr(self._source, name)(*args)
        return self._answers[key]

    def staff_roles(self, user_pk: object, organisation_id: object) -> object:
        return self._ask("staff_roles", user_pk, organisation_id)

    def is_enrolled(self, user_pk: object, organisation_id: object) -> object:
        return self._ask("is_enrolled", user_pk, organisation_id)

    def owns_participant(self, user_pk: object, organisation_id: object, pid: object) -> object:
        return self._ask("owns_participant", user_pk, organisation_id, pid)

    def organisations(self, user_pk: object) -> object:
        return self._ask("organisations", user_pk)

    def own_token(self, user_pk: object) -> object:
        return self._ask("own_token", user_pk)


@pytest.fixture
def remembered_people(world):
    """Answer the sweep's thousands of decisions without asking the database the same again.

    The purpose sweep makes every decision for every purpose; each would
    look the persona's roles up again (two queries, one keyed link). The
    decisions are the policy's own; only the look-ups are remembered, for
    the length of one test, after the world is built.
    """
    source = people.people()
    people.register_people(_Remembered(source))  # type: ignore[arg-type]
    yield
    people.register_people(source)


PERSONAS = [
    "pia",
    "lena",
    "wendy",
    "sam",
    "fran",
    "bill",
    "sue",
    "priya",
    "amira",
    "oscar",
    "system",
]

# Purposes: ss self service, qi quality improvement in aggregate, bf burnout
# follow-up, se safety emergency, cc clinical care, lo legal obligation, ao
# audit and oversight, sa service administration. Relationship * means all four.
# persona | kind | relationships | actions | purposes
EXPECTED = """
pia    | account            | own                | read update                      | ss
pia    | participant_record | own                | read create update delete export | ss
pia    | audit_trail        | own                | read                             | ss
pia    | consent_record     | own                | read create export delete        | ss
pia    | follow_up_case     | own                | read export create update        | ss
pia    | identity_grant     | own                | read                             | ss
lena   | account            | own                | read update                      | ss
lena   | aggregate          | own assigned other | view_aggregate export            | qi
wendy  | account            | own                | read update                      | ss
wendy  | aggregate          | own assigned other | view_aggregate export            | qi bf
wendy  | follow_up_case     | other              | read follow_up                   | bf se
wendy  | follow_up_case     | assigned           | read follow_up                   | bf se
wendy  | follow_up_case     | assigned           | update                           | bf se
wendy  | participant_record | assigned           | read                             | bf se
wendy  | identity_grant     | own                | read create                      | bf se
sam    | account            | own                | read update                      | ss
sam    | follow_up_case     | other              | read follow_up                   | bf se
sam    | follow_up_case     | assigned           | read update follow_up            | bf se
sam    | identity_grant     | own                | read create                      | bf se
sam    | participant_record | assigned           | read                             | bf se
sam    | client_record      | assigned           | read update                      | cc se
sam    | client_record      | assigned           | read export                      | lo
sam    | progress_note      | own assigned       | read create update               | cc se
sam    | psychotherapy_note | own                | read create update delete        | cc
sam    | practice_admin     | assigned           | read                             | cc
fran   | account            | own                | read update                      | ss
fran   | practice_admin     | assigned other     | read create update               | cc
fran   | practice_admin     | assigned other     | export                           | lo
bill   | account            | own                | read update                      | ss
bill   | practice_admin     | assigned other     | read create update               | cc
bill   | practice_admin     | assigned other     | export                           | lo
sue    | account            | own                | read update                      | ss
sue    | client_record      | assigned           | read                             | cc
sue    | progress_note      | assigned           | read update                      | cc
sue    | practice_admin     | assigned           | read                             | cc
priya  | account            | own                | read update                      | ss
priya  | audit_trail        | own other          | read export                      | ao lo
priya  | org_config         | own assigned other | read                             | ao
priya  | consent_record     | own other          | read export                      | ao lo
priya  | consent_config     | own assigned other | read create update               | ao lo
priya  | identity_grant     | other              | read update                      | ao lo
priya  | retention_config   | own assigned other | read create update               | ao lo
priya  | subject_request    | other              | read create update export delete | lo
amira  | account            | own                | read update                      | ss
amira  | org_config         | own assigned other | read create update delete        | sa
amira  | keys_backups       | own assigned other | read create update export        | sa
amira  | programme_config   | own assigned other | read create update delete        | sa
oscar  | account            | own                | read update                      | ss
system | org_config         | *                  | read create update delete        | sa
system | keys_backups       | *                  | read create update delete export | sa
system | audit_trail        | *                  | read export                      | ao
system | programme_config   | *                  | read create update delete        | sa
system | consent_config     | *                  | read create update               | sa
system | participant_record | *                  | read create delete               | sa
system | consent_record     | *                  | read create delete               | sa
system | aggregate          | *                  | read update                      | sa
system | retention_config   | *                  | read update delete               | sa
system | follow_up_case     | *                  | read                             | sa
system | practice_admin     | *                  | read create update               | sa
system | client_record      | *                  | delete                           | sa
# Schedule (issue 18, part 2): own calendar, any therapist's, read only, supervisees'.
sam    | appointment        | own                | read create update               | cc
fran   | appointment        | assigned other     | read create update               | cc
bill   | appointment        | assigned other     | read                             | cc
sue    | appointment        | assigned           | read                             | cc
system | appointment        | *                  | read create update               | sa
# Release of information (issue 19): the client's own therapist (never the
# supervisor); the privacy officer reads the accounting; demo seeding.
sam    | disclosure         | assigned           | read create update export        | cc lo
priya  | disclosure         | other              | read                             | ao
system | disclosure         | *                  | read create update               | sa
# Client portal (issue 19): the client's therapist and the front desk invite;
# a portal login (no staff role) reads and downloads from its own portal.
sam    | portal_invitation  | assigned           | read create delete               | cc
fran   | portal_invitation  | assigned other     | read create delete               | cc
system | portal_invitation  | *                  | read create delete               | sa
pia    | portal             | own                | read export                      | ss
# Secure messaging (issue 19): the client's therapists write care and
# consultation threads, their supervisors read them; the front desk and
# billing (any client of their practice) and the therapists write
# scheduling and billing threads; a portal login its own threads; seeding.
sam    | clinical_message   | assigned           | read create                      | cc
sue    | clinical_message   | assigned           | read                             | cc
sam    | admin_message      | assigned           | read create                      | cc
fran   | admin_message      | assigned other     | read create                      | cc
bill   | admin_message      | assigned other     | read create                      | cc
pia    | portal_message     | own                | read create                      | ss
system | clinical_message   | *                  | read create                      | sa
system | admin_message      | *                  | read create                      | sa
# Consent documents (issue 19): a portal login signs and withdraws its own forms.
pia    | portal             | own                | update                           | ss
# Guardians (issue 19): the minor's own therapist alone decides what they
# see; a guardian's portal login reads its own pages about the minor.
sam    | guardian_sharing   | assigned           | read create update delete        | cc
system | guardian_sharing   | *                  | read create update delete        | sa
pia    | guardian_portal    | own                | read export                      | ss
# Portal appointment requests: the client's own (made, read, withdrawn or
# used to cancel); the client's therapist and the front desk answer them.
pia    | portal_request     | own                | read create update               | ss
sam    | portal_request     | assigned           | read update                      | cc
fran   | portal_request     | assigned other     | read update                      | cc
# Questionnaires answered in the portal: the client's own, and no one else's.
pia    | portal_answer      | own                | read create                      | ss
"""


PURPOSE_CODES = {
    "ss": "self_service",
    "qi": "quality_improvement_aggregate",
    "bf": "burnout_follow_up",
    "se": "safety_emergency",
    "cc": "clinical_care",
    "lo": "legal_obligation",
    "ao": "audit_oversight",
    "sa": "service_administration",
}
RELATIONSHIPS = ["own", "assigned", "other", "unrelated"]


def _expected() -> dict[tuple[str, str, str, str], set[str]]:
    allowed: dict[tuple[str, str, str, str], set[str]] = {}
    for line in EXPECTED.strip().splitlines():
        if line.startswith("#"):
            continue
        persona, kind, relationships, actions, purposes = (c.split() for c in line.split("|"))
        rels = RELATIONSHIPS if relationships == ["*"] else relationships
        for rel in rels:
            for action in actions:
                key = (persona[0], kind[0], rel, action)
                allowed.setdefault(key, set()).update(PURPOSE_CODES[p] for p in purposes)
    return allowed


ALLOWED = _expected()
# Kinds with no owner or assignee: their "own" and "assigned" cells are the
# organisation's object, like "other".
OWNERLESS = {
    ResourceKind.AGGREGATE,
    ResourceKind.ORG_CONFIG,
    ResourceKind.KEYS_BACKUPS,
    ResourceKind.CONSENT_CONFIG,
    ResourceKind.PROGRAMME_CONFIG,
    ResourceKind.RETENTION_CONFIG,
}
# The purpose a caller would most plausibly name for each kind.
NATURAL_PURPOSE = {
    ResourceKind.ACCOUNT: Purpose.SELF_SERVICE,
    ResourceKind.PARTICIPANT_RECORD: Purpose.BURNOUT_FOLLOW_UP,
    ResourceKind.CONSENT_RECORD: Purpose.SELF_SERVICE,
    ResourceKind.CONSENT_CONFIG: Purpose.AUDIT_OVERSIGHT,
    ResourceKind.PROGRAMME_CONFIG: Purpose.SERVICE_ADMINISTRATION,
    ResourceKind.AGGREGATE: Purpose.QUALITY_IMPROVEMENT_AGGREGATE,
    ResourceKind.FOLLOW_UP_CASE: Purpose.BURNOUT_FOLLOW_UP,
    ResourceKind.IDENTITY_GRANT: Purpose.BURNOUT_FOLLOW_UP,
    ResourceKind.CLIENT_RECORD: Purpose.CLINICAL_CARE,
    ResourceKind.PROGRESS_NOTE: Purpose.CLINICAL_CARE,
    ResourceKind.PSYCHOTHERAPY_NOTE: Purpose.CLINICAL_CARE,
    ResourceKind.PRACTICE_ADMIN: Purpose.CLINICAL_CARE,
    ResourceKind.APPOINTMENT: Purpose.CLINICAL_CARE,
    ResourceKind.AUDIT_TRAIL: Purpose.AUDIT_OVERSIGHT,
    ResourceKind.ORG_CONFIG: Purpose.SERVICE_ADMINISTRATION,
    ResourceKind.KEYS_BACKUPS: Purpose.SERVICE_ADMINISTRATION,
    ResourceKind.RETENTION_CONFIG: Purpose.AUDIT_OVERSIGHT,
    ResourceKind.SUBJECT_REQUEST: Purpose.LEGAL_OBLIGATION,
    ResourceKind.DISCLOSURE: Purpose.CLINICAL_CARE,
    ResourceKind.PORTAL_INVITATION: Purpose.CLINICAL_CARE,
    ResourceKind.PORTAL: Purpose.SELF_SERVICE,
    ResourceKind.CLINICAL_MESSAGE: Purpose.CLINICAL_CARE,
    ResourceKind.ADMIN_MESSAGE: Purpose.CLINICAL_CARE,
    ResourceKind.PORTAL_MESSAGE: Purpose.SELF_SERVICE,
    ResourceKind.GUARDIAN_SHARING: Purpose.CLINICAL_CARE,
    ResourceKind.GUARDIAN_PORTAL: Purpose.SELF_SERVICE,
    ResourceKind.PORTAL_REQUEST: Purpose.CLINICAL_CARE,
    ResourceKind.PORTAL_ANSWER: Purpose.SELF_SERVICE,
}


def make_resource(world, persona: str, kind: ResourceKind, rel: str) -> Resource:
    """The persona's own / assigned / a colleague's / an unrelated resource of ``kind``."""
    me = world.people[persona]
    me_pk = getattr(me, "pk", None)
    colin, farah = world.people["colin"], world.people["farah"]
    if rel == "unrelated":
        org, owner, participant, assignees = world.faraway.pk, farah.pk, "farah", frozenset()
    elif rel == "other":
        org, owner, participant, assignees = world.st_annes.pk, colin.pk, "colin", frozenset()
    elif rel == "assigned":
        org, owner, participant = world.st_annes.pk, colin.pk, "colin"
        assignees = frozenset({me_pk}) if me_pk else frozenset()
    else:
        org, owner, participant, assignees = world.st_annes.pk, me_pk, persona, frozenset()
    if kind in OWNERLESS:
        return Resource(kind=kind, reference=f"{kind.value}:{rel}", organisation_id=org)
    # A portal page, like an account, belongs to its login and no organisation.
    if kind in (
        ResourceKind.ACCOUNT,
        ResourceKind.PORTAL,
        ResourceKind.PORTAL_MESSAGE,
        ResourceKind.GUARDIAN_PORTAL,
    ):
        return Resource(
            kind=kind, reference=f"user:{owner}", owner_user_id=owner, assignee_user_ids=assignees
        )
    if kind in (ResourceKind.PARTICIPANT_RECORD, ResourceKind.CONSENT_RECORD):
        row = world.participants.get(participant)
        return Resource(
            kind=kind,
            reference=f"participant:{rel}",
            organisation_id=org,
            participant_id=row.pk if row else None,
            assignee_user_ids=assignees,
        )
    return Resource(
        kind=kind,
        reference=f"{kind.value}:{rel}",
        organisation_id=org,
        owner_user_id=owner,
        assignee_user_ids=assignees,
    )


def _cells():
    for persona in PERSONAS:
        for kind in ResourceKind:
            for rel in RELATIONSHIPS:
                for action in Action:
                    yield persona, kind, rel, action


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_gives_the_designed_answer_for_every_cell_and_audits_each_once(
    world, remembered_people, persona, monkeypatch
):
    watch = trail.Watch(monkeypatch)
    mismatches = []
    for who, kind, rel, action in _cells():
        if who != persona:
            continue
        allowed_purposes = ALLOWED.get((persona, kind.value, rel, action.value), set())
        natural = NATURAL_PURPOSE[kind]
        purpose = (
            natural
            if natural.value in allowed_purposes or not allowed_purposes
            else Purpose(min(allowed_purposes))
        )
        resource = make_resource(world, persona, kind, rel)
        result = can(world.people[persona], action, resource, purpose)
        entries = watch.take()
        expected = bool(allowed_purposes)
        if result != expected:
            mismatches.append(f"{persona} {action.value} {kind.value} ({rel}): got {result}")
        assert len(entries) == 1, (persona, kind, rel, action)
        entry = entries[0]
        assert entry.outcome == ("allowed" if expected else "denied")
        assert entry.purpose == purpose.value
        assert entry.target == resource.reference
        if not expected:
            assert entry.event == "access.denied"
    assert mismatches == []
    watch.confirm()


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_allows_each_cell_for_exactly_the_designed_purposes(world, remembered_people, persona):
    mismatches = []
    for kind in ResourceKind:
        for rel in RELATIONSHIPS:
            resource = make_resource(world, persona, kind, rel)
            for action in Action:
                want = ALLOWED.get((persona, kind.value, rel, action.value), set())
                got = {
                    p.value
                    for p in LAWFUL
                    if decide(
                        actor=world.people[persona], action=action, resource=resource, purpose=p
                    ).allowed
                }
                if got != want:
                    mismatches.append(f"{persona} {action.value} {kind.value} ({rel}): {got}")
    assert mismatches == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_refuses_and_audits_every_prohibited_purpose(
    world, remembered_people, persona, monkeypatch
):
    watch = trail.Watch(monkeypatch)
    actor = world.people[persona]
    for kind in ResourceKind:
        # The persona's own resource: the one most likely to be allowed otherwise.
        resource = make_resource(world, persona, kind, Relationship.OWN.value)
        for action in Action:
            for purpose in PROHIBITED:
                assert can(actor, action, resource, purpose) is False
                entries = watch.take()
                assert [e.event for e in entries] == ["access.purpose_refused"]
                assert entries[0].outcome == "denied"
                assert entries[0].purpose == purpose.value
    watch.confirm()
