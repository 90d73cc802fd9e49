"""Direct POSTs to every action whose button a page shows only sometimes (issue 15).

A page hides a button when the action is not for this person or not for
this state (a closed case, a request already decided, a colleague's case).
Each case below sets up that state and POSTs to the action's URL as a
person who would not see the button, the way a script or a hand-edited
form would. The answer must be a refusal (404 for what the person may not
see, a clear 4xx or the page back with a message otherwise) and nothing may
change: a fingerprint of every row the follow-up and lifecycle actions
write is compared before and after.

``test_every_post_action_is_listed`` reads the URL configuration: a new
action that accepts POST in follow-up or lifecycle fails it until it is
listed here with its deny cases, or among those whose button is not
conditional (with the reason).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from wellkept.access.registry import walk
from wellkept.consent.services import consent_record
from wellkept.followup import reidentification, services
from wellkept.followup.models import (
    BreakGlassAllowance,
    Case,
    CaseMessage,
    CaseNote,
    FollowUpSettings,
    IdentityGrant,
)
from wellkept.followup.tests.conftest import (
    PIA_NAME,
    _followup_world_once,
    assigned_to,
    colin_asks,
    sign_in,
    world,
)
from wellkept.followup.tests.test_reidentification import _fresh_request
from wellkept.lifecycle.models import DeletionReceipt, LegalHold, RetentionPeriod, SubjectRequest
from wellkept.lifecycle.services import legal_hold_set
from wellkept.lifecycle.subject_requests import subject_request_decide, subject_request_record
from wellkept.orgs.models import Participant

# The follow-up world, built once for this module (see that conftest).
__all__ = ["_followup_world_once", "world"]

pytestmark = pytest.mark.django_db

REASON = "No reply for three days after a safety alert; we need to reach her in person."
EXCEPTION = "Telling her now would put her at risk, per the treating psychiatrist."
LETTER = "Letter of 3 November: asks for a copy of everything held about them."

# POST actions whose button is the same for everyone who reaches the page:
# their rule is the page's own access check, covered by test_url_coverage,
# the role matrix and each app's page tests.
NOT_CONDITIONAL = {
    "lifecycle:reminders": "My data's reminder switch: every participant's own",
    "lifecycle:erase": "My data's erase: every participant's own (a legal hold is refused "
    "with a message, tested in lifecycle's tests)",
    "lifecycle:retention_update": "the privacy officer's form, always shown to them",
    "lifecycle:hold_set": "the privacy officer's form, always shown to them",
    "lifecycle:subject_request_new": "the privacy officer's form, always shown to them",
}


def fingerprint() -> tuple[Any, ...]:
    """Everything the follow-up and lifecycle actions write, in a comparable form."""
    return (
        sorted(Case.objects.values_list("pk", "status", "assignee_id", "signals")),
        CaseMessage.objects.count(),
        CaseNote.objects.count(),
        sorted(
            IdentityGrant.objects.values_list(
                "pk", "status", "uses", "reviewed_at", "notify_participant", "expires_at"
            ),
            key=str,
        ),
        BreakGlassAllowance.objects.count(),
        list(FollowUpSettings.objects.values_list("alert_wait_days", "request_wait_days")),
        sorted(LegalHold.objects.values_list("pk", "lifted_at"), key=str),
        sorted(SubjectRequest.objects.values_list("pk", "status"), key=str),
        DeletionReceipt.objects.count(),
        Participant.objects.count(),
        RetentionPeriod.objects.count(),
    )


@dataclass
class Deny:
    """One direct POST that must be refused and change nothing."""

    why: str
    persona: str
    setup: Callable[[Any], dict[str, Any]]
    url: Callable[[dict[str, Any]], str]
    data: dict[str, Any] = field(default_factory=dict)
    json_body: bool = False
    statuses: tuple[int, ...] = (302, 400, 403, 404, 409)


# ---- states ---------------------------------------------------------------------------


def _pia_case(w: Any) -> Case:
    from wellkept.consent.tests.conftest import check_in

    check_in(w, "pia", w.st_annes)
    return Case.objects.get(participant=w.participants["pia"])


def taken(w: Any) -> dict[str, Any]:
    return {"case": assigned_to(_pia_case(w), w.people["sam"])}


def closed(w: Any) -> dict[str, Any]:
    case = assigned_to(_pia_case(w), w.people["sam"])
    return {"case": services.case_close(actor=w.people["sam"], case=case, reason="resolved")}


def untaken_closed(w: Any) -> dict[str, Any]:
    case = _pia_case(w)
    services.followup_decline(actor=w.people["pia"], case=case)
    case.refresh_from_db()
    return {"case": case}


def request_case(w: Any) -> dict[str, Any]:
    return {"case": assigned_to(colin_asks(w), w.people["sam"])}


def withdrawn(w: Any) -> dict[str, Any]:
    state = taken(w)
    consent_record(
        actor=w.people["pia"],
        participant=w.participants["pia"],
        notice=w.st_annes.notice,
        take_part=False,
        follow_up_contact=False,
        safety_alert=False,
    )
    return state


def pending(w: Any, who: str = "sam") -> dict[str, Any]:
    state = taken(w) if who == "sam" else {"case": assigned_to(_pia_case(w), w.people[who])}
    state["grant"] = reidentification.reidentification_request(
        actor=w.people[who], case=state["case"], purpose="safety_emergency", reason=REASON
    )
    return state


def petras_request(w: Any) -> dict[str, Any]:
    return pending(w, "petra")


def refused_grant(w: Any) -> dict[str, Any]:
    state = pending(w)
    reidentification.reidentification_decide(
        actor=w.people["priya"], grant=state["grant"], approve=False
    )
    return state


def approved_told(w: Any) -> dict[str, Any]:
    state = pending(w)
    reidentification.reidentification_decide(
        actor=w.people["priya"],
        grant=state["grant"],
        approve=True,
        request=_fresh_request(w, "priya"),
    )
    return state


def outside_request(w: Any, *, kind: str = "access", decide: bool | None = None) -> dict[str, Any]:
    from wellkept.accounts.models import readable_email

    found = subject_request_record(
        actor=w.people["priya"],
        organisation=w.st_annes.organisation,
        email=readable_email(w.people["pia"]),
        kind=kind,
        reason=LETTER,
    )
    if decide is not None:
        subject_request_decide(
            actor=w.people["petra"],
            subject_request=found,
            approve=decide,
            request=_fresh_request(w, "petra"),
        )
    return {"request": found}


def approved_access_request(w: Any) -> dict[str, Any]:
    return outside_request(w, decide=True)


def refused_request(w: Any) -> dict[str, Any]:
    return outside_request(w, decide=False)


def held_erasure_request(w: Any) -> dict[str, Any]:
    state = outside_request(w, kind="erasure", decide=True)
    legal_hold_set(
        actor=w.people["priya"],
        organisation=w.st_annes.organisation,
        token=w.participants["pia"].token,
        reason="Court order 2026/17 keeps everything about this person.",
    )
    return state


def lifted_hold(w: Any) -> dict[str, Any]:
    from wellkept.lifecycle.services import legal_hold_lift

    hold = legal_hold_set(
        actor=w.people["priya"],
        organisation=w.st_annes.organisation,
        token=w.participants["pia"].token,
        reason="Court order 2026/17 keeps everything about this person.",
    )
    return {"hold": legal_hold_lift(actor=w.people["priya"], hold=hold, reason="Order ended.")}


def nothing(w: Any) -> dict[str, Any]:
    return {}


# ---- the table ----------------------------------------------------------------------


def _case_url(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda s: reverse(f"followup:{name}", args=[s["case"].pk])


def _grant_url(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda s: reverse(f"followup:{name}", args=[s["grant"].pk])


def _request_url(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda s: reverse(f"lifecycle:{name}", args=[s["request"].pk]) + "?org=st-annes"


def _plain(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda s: reverse(name)


EMERGENCY = {"reason": "She wrote that she has a plan for tonight; no answer.", "confirm": "on"}
ASK = {"purpose": "safety_emergency", "reason": REASON}
NOTE = {"body": "Written straight to the URL."}

DIRECT_POSTS: dict[str, list[Deny]] = {
    # The participant's page.
    "followup:ask": [Deny("after leaving the programme", "pia", withdrawn, _plain("followup:ask"))],
    "followup:reply": [
        Deny("on a closed case", "pia", closed, _plain("followup:reply"), {"body": "Hi"}),
        Deny("after leaving", "pia", withdrawn, _plain("followup:reply"), {"body": "Hi"}),
    ],
    "followup:share": [
        Deny("on a closed case", "pia", closed, _plain("followup:share"), {"name": "Pia"}),
        Deny("after leaving", "pia", withdrawn, _plain("followup:share"), {"name": "Pia"}),
    ],
    "followup:conversation": [
        Deny(
            "after leaving",
            "pia",
            withdrawn,
            _plain("followup:conversation"),
            {"way": "phone", "when": "Mornings"},
        ),
    ],
    "followup:decline": [
        Deny("with no open case", "pia", untaken_closed, _plain("followup:decline")),
    ],
    # The team's case page.
    "followup:case_take": [
        Deny("a colleague's case", "sid", taken, _case_url("case_take")),
        Deny("a closed case", "wendy", untaken_closed, _case_url("case_take")),
    ],
    "followup:case_assign": [
        Deny("by a specialist", "sam", taken, _case_url("case_assign"), {"assignee": "x"}),
    ],
    "followup:message": [
        Deny("by a colleague", "sid", taken, _case_url("message"), NOTE),
        Deny("on a closed case", "sam", closed, _case_url("message"), NOTE),
    ],
    "followup:note": [
        Deny("by a colleague", "sid", taken, _case_url("note"), NOTE),
        Deny("on a closed case", "sam", closed, _case_url("note"), NOTE),
    ],
    "followup:case_close": [
        Deny("by a colleague", "sid", taken, _case_url("case_close"), {"reason": "resolved"}),
    ],
    "followup:identity_request": [
        Deny("on a closed case", "sam", closed, _case_url("identity_request"), ASK),
        Deny("by a leader", "lena", taken, _case_url("identity_request"), ASK),
    ],
    "followup:api_identity_request": [
        Deny("on a closed case", "sam", closed, _case_url("api_identity_request"), ASK, True),
        Deny("by a leader", "lena", taken, _case_url("api_identity_request"), ASK, True),
    ],
    "followup:breakglass": [
        Deny("on a request case", "sam", request_case, _case_url("breakglass"), EMERGENCY),
        Deny("on a closed case", "sam", closed, _case_url("breakglass"), EMERGENCY),
        Deny("on a colleague's case", "sid", taken, _case_url("breakglass"), EMERGENCY),
        Deny("by the wellbeing officer", "wendy", taken, _case_url("breakglass"), EMERGENCY),
    ],
    "followup:grant_identity": [
        Deny(
            "before the decision", "sam", pending, _grant_url("grant_identity"), {}, False, (200,)
        ),
        Deny("someone else's grant", "sid", approved_told, _grant_url("grant_identity")),
    ],
    # The privacy role's grant page.
    "followup:privacy_approve": [
        Deny(
            "a refused request",
            "priya",
            refused_grant,
            _grant_url("privacy_approve"),
            {"hours": 24},
        ),
        Deny(
            "her own request", "petra", petras_request, _grant_url("privacy_approve"), {"hours": 24}
        ),
        Deny(
            "by the requester's colleague",
            "sid",
            pending,
            _grant_url("privacy_approve"),
            {"hours": 24},
        ),
    ],
    "followup:privacy_refuse": [
        Deny("an approved grant", "priya", approved_told, _grant_url("privacy_refuse")),
        Deny("her own request", "petra", petras_request, _grant_url("privacy_refuse")),
    ],
    "followup:privacy_review": [
        Deny(
            "a pending request",
            "priya",
            pending,
            _grant_url("privacy_review"),
            {"note": "Reviewed before any decision."},
        ),
        Deny(
            "a refused request",
            "priya",
            refused_grant,
            _grant_url("privacy_review"),
            {"note": "Reviewing a refusal that gave nobody a name."},
        ),
    ],
    "followup:privacy_breakglass_allow": [
        Deny(
            "on a two-person grant",
            "priya",
            approved_told,
            _grant_url("privacy_breakglass_allow"),
            {"reason": "Allowing an opening on the wrong kind of grant."},
        ),
        Deny(
            "by a specialist",
            "sam",
            approved_told,
            _grant_url("privacy_breakglass_allow"),
            {"reason": "Allowing myself one more opening right now."},
        ),
    ],
    "followup:privacy_exception_end": [
        Deny("with no exception", "priya", approved_told, _grant_url("privacy_exception_end")),
        Deny(
            "by the wellbeing officer", "wendy", approved_told, _grant_url("privacy_exception_end")
        ),
    ],
    "followup:privacy_deadlines": [
        Deny(
            f"by {p}",
            p,
            nothing,
            _plain("followup:privacy_deadlines"),
            {"alert_wait_days": 9, "request_wait_days": 9},
            False,
            (404,),
        )
        for p in ("wendy", "sam", "amira", "pia")
    ],
    # The privacy officer's lifecycle pages.
    "lifecycle:hold_lift": [
        Deny(
            "a hold lifted already",
            "priya",
            lifted_hold,
            lambda s: reverse("lifecycle:hold_lift", args=[s["hold"].pk]) + "?org=st-annes",
            {"reason": "Lifting it a second time."},
        ),
    ],
    "lifecycle:subject_request_approve": [
        Deny("her own request", "priya", outside_request, _request_url("subject_request_approve")),
        Deny(
            "a refused request", "petra", refused_request, _request_url("subject_request_approve")
        ),
    ],
    "lifecycle:subject_request_refuse": [
        Deny("her own request", "priya", outside_request, _request_url("subject_request_refuse")),
        Deny(
            "an approved request",
            "petra",
            approved_access_request,
            _request_url("subject_request_refuse"),
        ),
    ],
    "lifecycle:subject_erase": [
        Deny(
            "on an access request",
            "priya",
            approved_access_request,
            _request_url("subject_erase"),
            {"confirm": "on"},
        ),
        Deny(
            "under a legal hold",
            "priya",
            held_erasure_request,
            _request_url("subject_erase"),
            {"confirm": "on"},
        ),
        Deny(
            "by the other officer",
            "petra",
            approved_access_request,
            _request_url("subject_erase"),
            {"confirm": "on"},
        ),
    ],
}

CASES = [(name, deny) for name, denies in DIRECT_POSTS.items() for deny in denies]


@pytest.mark.parametrize(
    ("name", "deny"), CASES, ids=[f"{name}: {deny.why}" for name, deny in CASES]
)
def test_a_direct_post_is_refused_and_changes_nothing(world, name, deny):
    state = deny.setup(world)
    client = sign_in(Client(), world.people[deny.persona], fresh_mfa=True)
    before = fingerprint()
    if deny.json_body:
        response = client.post(
            deny.url(state), data=json.dumps(deny.data), content_type="application/json"
        )
    else:
        response = client.post(deny.url(state), deny.data)
    assert response.status_code in deny.statuses, (name, deny.why, response.status_code)
    assert fingerprint() == before, (name, deny.why)
    assert PIA_NAME not in response.content.decode()


def _methods(callback: Any) -> set[str] | None:
    """The HTTP methods a view accepts, read from Django's require_http_methods closure."""
    current = callback
    while current is not None:
        code = getattr(current, "__code__", None)
        closure = getattr(current, "__closure__", None) or ()
        if code is not None and "request_method_list" in code.co_freevars:
            cell = closure[code.co_freevars.index("request_method_list")]
            return set(cell.cell_contents)
        current = getattr(current, "__wrapped__", None)
    return None


def _post_actions() -> set[str]:
    found = set()
    for _route, pattern in walk(get_resolver().url_patterns):
        assert isinstance(pattern, URLPattern)
        module = getattr(pattern.callback, "__module__", "")
        namespace = next(
            (app for app in ("followup", "lifecycle") if module.startswith(f"wellkept.{app}.")),
            None,
        )
        if namespace is None:
            continue
        methods = _methods(pattern.callback)
        assert methods is not None, f"{pattern.name} says nothing about its methods"
        if "POST" in methods:
            found.add(f"{namespace}:{pattern.name}")
    return found


def test_every_post_action_is_listed():
    actions = _post_actions()
    assert {"followup:breakglass", "lifecycle:subject_erase"} <= actions
    listed = set(DIRECT_POSTS) | set(NOT_CONDITIONAL)
    assert sorted(actions - listed) == [], "POST actions with no direct-POST deny case"
    assert sorted(listed - actions) == [], "listed actions that accept no POST"
    assert set(DIRECT_POSTS).isdisjoint(NOT_CONDITIONAL)
