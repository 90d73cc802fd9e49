"""Each member's chart shows only their own content, after any sequence of case operations.

The examples in test_families_pages.py check one couple and one joint
note. Here Hypothesis drives a family of three (Ada, Ben and Mia, all seen
by Tess) through sequences of what happens to a case: joint notes written
and signed, each member's own notes, members leaving and joining again,
discharged, erased. After each sequence, every page of each remaining
member's chart that Tess can open (the client's page, the notes list, every
note linked from it) is read as Tess reads it, and must hold no other
member's name, code or own notes, and no joint note written while the
member was not in the case. An erased member's chart answers 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wellkept.practice import services
from wellkept.practice.models import CaseKind, Client, JointNote
from wellkept.practice.tests.conftest import ADA_LEGAL, ADA_PREFERRED, SETUP, signed_in
from wellkept.practice.tests.notes_helpers import SOAP, yesterday

MEMBERS = ("ada", "ben", "mia")
NAMES = {
    "ada": (ADA_LEGAL, ADA_PREFERRED),
    "ben": ("Ben Samplesby", "Benji"),
    "mia": ("Mia Fakename",),
}
NOTE = re.compile(r"/practice/clients/[0-9a-f-]{36}/notes/[0-9a-f-]{36}/")

member = st.sampled_from(MEMBERS)
operation = st.one_of(
    st.just(("joint",)),
    st.just(("sign",)),
    st.tuples(st.just("own"), member),
    st.tuples(st.just("leave"), member),
    st.tuples(st.just("join"), member),
    st.tuples(st.just("discharge"), member),
    st.tuples(st.just("erase"), member),
)


@dataclass
class Story:
    """What the test knows happened: which member each marker belongs to."""

    own: dict[str, list[str]] = field(default_factory=lambda: {m: [] for m in MEMBERS})
    # Each joint note's marker and the members it was written for.
    joint: list[tuple[str, set[str]]] = field(default_factory=list)
    erased: set[str] = field(default_factory=set)
    discharged: set[str] = field(default_factory=set)


def _act(practice, clients: dict[str, Client], case, story: Story, step: tuple) -> None:  # type: ignore[no-untyped-def]
    tess, fran = practice.people["tess"], practice.people["fran"]
    kind, who = step[0], (step[1] if len(step) > 1 else None)
    n = len(story.joint) + sum(len(v) for v in story.own.values())
    try:
        if kind == "joint":
            marker = f"Jointmark{n}x"
            services.joint_note_create(
                actor=tess,
                case=case,
                template_code="soap",
                service_date=yesterday(),
                sections={**SOAP, "subjective": f"Together ({marker})."},
            )
            members = {m for m in MEMBERS if m not in story.erased and _in_case(case, clients[m])}
            story.joint.append((marker, members))
        elif kind == "sign":
            joint = JointNote.objects.filter(case=case).order_by("-created_at").first()
            if joint is not None:
                services.joint_note_sign(actor=tess, joint=joint)
        elif who in story.erased:
            return
        elif kind == "own":
            marker = f"Ownmark{who}{n}x"
            services.note_create(
                actor=tess,
                client=clients[who],
                template_code="soap",
                service_date=yesterday(),
                sections={**SOAP, "subjective": f"Alone ({marker})."},
                diagnosis_codes=["F43.20"],
                service_codes=[],
            )
            story.own[who].append(marker)
        elif kind == "leave":
            services.case_member_remove(actor=fran, case=case, client=clients[who])
        elif kind == "join":
            services.case_member_add(actor=fran, case=case, client=clients[who])
        elif kind == "discharge":
            services.client_discharge(actor=fran, client=clients[who], reason_code="completed")
            story.discharged.add(who)
        elif kind == "erase":
            services.client_erase(actor=SETUP, client=clients[who])
            story.erased.add(who)
    except (ValidationError, PermissionDenied):
        # Refused as the pages would refuse it (a note for a discharged
        # client, a joint note with one member left, a note signed twice):
        # nothing happened.
        pass


def _in_case(case, client: Client) -> bool:  # type: ignore[no-untyped-def]
    return case.members.filter(client=client, until__isnull=True).exists()


def _chart(browser, client: Client) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """Every page of the client's chart Tess can open, as one text; or the first status."""
    query = "?org=harbour"
    pages = [
        reverse("practice:client", args=[client.pk]),
        reverse("practice:notes", args=[client.pk]),
    ]
    text = ""
    for path in pages:
        response = browser.get(path + query)
        if response.status_code != 200:
            return response.status_code, ""
        page = response.content.decode()
        text += page
        for note in sorted(set(NOTE.findall(page))):
            assert note.startswith(f"/practice/clients/{client.pk}/"), "a link out of the chart"
            text += browser.get(note + query).content.decode()
    return 200, text


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operation, min_size=1, max_size=7))
def test_no_sequence_of_case_operations_shows_one_member_another_s_content(practice, steps):
    with transaction.atomic():
        clients = {m: Client.objects.get(pk=practice.clients[m].pk) for m in MEMBERS}
        for name in ("ben", "mia"):
            services.client_assign(
                actor=SETUP, client=clients[name], therapist=practice.people["tess"]
            )
        case = services.case_create(
            actor=practice.people["fran"],
            organisation=practice.harbour,
            kind=CaseKind.FAMILY,
            members=list(clients.values()),
            therapists=[practice.people["tess"]],
        )
        codes = {m: clients[m].code for m in MEMBERS}
        story = Story()
        for step in steps:
            _act(practice, clients, case, story, step)
            clients = {
                m: Client.objects.filter(pk=clients[m].pk).first() or clients[m] for m in MEMBERS
            }

        tess = signed_in(practice.people["tess"])
        for name in MEMBERS:
            status, chart = _chart(tess, clients[name])
            if name in story.erased | story.discharged:
                # Erased, or discharged (every therapist's work ends): Tess sees nothing.
                assert status == 404, f"{name} was erased or discharged, yet answers {status}"
                continue
            assert status == 200
            assert leaks(name, chart, story, codes) == []
        transaction.set_rollback(True)


def leaks(name: str, chart: str, story: Story, codes: dict[str, str]) -> list[str]:
    """What of the other members, or of joint notes written without them, the chart shows."""
    found = [
        f"{name}'s chart shows {other}'s {value!r}"
        for other in MEMBERS
        if other != name
        for value in (*NAMES[other], codes[other], *story.own[other])
        if value in chart
    ]
    found += [
        f"{name}'s chart shows {marker}, written without them"
        for marker, members in story.joint
        if name not in members and marker in chart
    ]
    return found


def test_the_check_sees_another_member_s_code_or_note_in_a_chart(practice):
    """Prove the check: Ben's code written into Ada's own note, a joint note from before Ada."""
    ada, ben = practice.clients["ada"], practice.clients["ben"]
    services.note_create(
        actor=practice.people["tess"],
        client=ada,
        template_code="soap",
        service_date=yesterday(),
        sections={**SOAP, "subjective": f"Spoke about {ben.code} (Ownmarkben0x)."},
        diagnosis_codes=["F43.20"],
        service_codes=[],
    )
    story = Story(
        own={"ada": [], "ben": ["Ownmarkben0x"], "mia": []}, joint=[("Jointmark9x", {"ben"})]
    )
    status, chart = _chart(signed_in(practice.people["tess"]), ada)
    assert status == 200
    codes = {m: practice.clients[m].code for m in MEMBERS}
    found = [f"ada's chart shows ben's {ben.code!r}", "ada's chart shows ben's 'Ownmarkben0x'"]
    assert leaks("ada", chart, story, codes) == found
    assert leaks("ada", chart + "Jointmark9x", story, codes) == [
        *found,
        "ada's chart shows Jointmark9x, written without them",
    ]
