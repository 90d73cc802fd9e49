"""Every practice page for every role: allowed, or a 404 that looks like a missing page."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice.models import Client, ClientAssignment, Guardian
from wellkept.practice.tests.conftest import ADA_LEGAL, ADA_PREFERRED, signed_in, years_ago

pytestmark = pytest.mark.django_db

HARBOUR = {"org": "harbour"}
LIST = reverse("practice:client_list")
NEW = reverse("practice:client_new")


def without_csrf(html: str) -> str:
    # The CSRF token is masked afresh on every response, and the session's
    # seconds left can tick between two requests; nothing else may differ.
    html = re.sub(r'name="csrf-token" content="[^"]*"', "", html)
    html = re.sub(r'data-session-left="\d+"', "", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def detail(client: Client) -> str:
    return reverse("practice:client", args=[client.pk])


def intake_post(**changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "legal_name": "Nora Newcomer",
        "preferred_name": "Nor",
        "date_of_birth": years_ago(40).isoformat(),
        "email": "nora@example.invalid",
        "phone": "+44 20 7946 0123",
        "contact_channels": ["email"],
    }
    data.update(changes)
    return data


# ---- the list -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("fran", {"ada", "ben", "mia"}, set()),
        ("bill", {"ada", "ben", "mia"}, set()),
        ("tess", {"ada"}, {"ben", "mia"}),
        ("theo", {"ben", "mia"}, {"ada"}),
        ("sue", {"ada"}, {"ben", "mia"}),
    ],
)
def test_it_lists_for_each_practice_role_the_clients_it_may_see(practice, who, shown, hidden):
    page = signed_in(practice.people[who]).get(LIST, HARBOUR)
    assert page.status_code == 200
    for key in shown:
        assert practice.clients[key].code in page.text
    for key in hidden:
        assert practice.clients[key].code not in page.text


@pytest.mark.parametrize("who", ["priya", "amira"])
def test_it_answers_404_to_staff_outside_the_practice_roles(practice, who):
    page = signed_in(practice.people[who]).get(LIST, HARBOUR)
    assert page.status_code == 404
    denied = AuditEntry.objects.filter(event=EventType.ACCESS_DENIED).latest("id")
    assert denied.reason == "not in this page's audience (practice_only)"


def test_it_answers_404_to_another_practices_front_desk(practice):
    olga = signed_in(practice.people["olga"])
    assert olga.get(LIST, HARBOUR).status_code == 404
    own = olga.get(LIST)
    assert own.status_code == 200
    assert practice.clients["otto"].code in own.text
    assert practice.clients["ada"].code not in own.text


def test_it_sends_an_anonymous_visitor_to_sign_in(practice, client):
    assert client.get(LIST).status_code == 302


def test_it_shows_preferred_names_to_the_front_desk_but_only_codes_to_billing(practice):
    assert ADA_PREFERRED in signed_in(practice.people["fran"]).get(LIST, HARBOUR).text
    assert ADA_PREFERRED in signed_in(practice.people["tess"]).get(LIST, HARBOUR).text
    billing = signed_in(practice.people["bill"]).get(LIST, HARBOUR).text
    assert practice.clients["ada"].code in billing
    assert ADA_PREFERRED not in billing


def test_it_finds_a_client_by_name(practice):
    page = signed_in(practice.people["fran"]).get(LIST, {**HARBOUR, "q": "testwell"})
    assert practice.clients["ada"].code in page.text
    assert practice.clients["ben"].code not in page.text


def test_it_says_so_when_no_name_matches(practice):
    page = signed_in(practice.people["fran"]).get(LIST, {**HARBOUR, "q": "Nobodyhere"})
    assert "No client you may see has all of these name words." in page.text


def test_it_offers_intake_to_the_front_desk_only(practice):
    assert f'href="{NEW}' in signed_in(practice.people["fran"]).get(LIST, HARBOUR).text
    assert f'href="{NEW}' not in signed_in(practice.people["tess"]).get(LIST, HARBOUR).text


# ---- intake ---------------------------------------------------------------------------


def test_it_takes_a_new_client_in_through_the_form(practice):
    fran = signed_in(practice.people["fran"])
    assert fran.get(NEW, HARBOUR).status_code == 200
    done = fran.post(f"{NEW}?org=harbour", intake_post())
    created = Client.objects.exclude(pk__in=[c.pk for c in practice.clients.values()]).get()
    assert done.status_code == 302
    assert done["Location"] == f"{detail(created)}?org=harbour"
    assert created.legal_name == "Nora Newcomer"
    assert "Nora" not in done["Location"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"legal_name": ""}, "Enter the legal name."),
        ({"date_of_birth": "31/02/1990"}, "Enter the date of birth as YYYY-MM-DD."),
        (
            {"date_of_birth": years_ago(-2).isoformat()},
            "The date of birth cannot be in the future.",
        ),
        ({"email": "not-an-address"}, "Enter a valid e-mail address"),
        ({"email": "", "contact_channels": ["email"]}, "Contact by e-mail was chosen"),
        ({"contact_channels": ["pigeon"]}, "Choose contact channels from the list."),
        ({"date_of_birth": years_ago(9).isoformat()}, "The client is under 18"),
        ({"phone": "call me"}, "Enter a phone number"),
    ],
)
def test_it_explains_what_is_wrong_with_an_intake(practice, changes, message):
    page = signed_in(practice.people["fran"]).post(f"{NEW}?org=harbour", intake_post(**changes))
    assert page.status_code == 200
    assert message in page.text.replace("&#x27;", "'")
    assert Client.objects.count() == len(practice.clients)


def test_it_records_a_guardian_for_a_minor_through_the_form(practice):
    signed_in(practice.people["fran"]).post(
        f"{NEW}?org=harbour",
        intake_post(
            date_of_birth=years_ago(9).isoformat(),
            guardian_name="Gail Newcomer",
            guardian_relation="mother",
            guardian_phone="+44 20 7946 0456",
        ),
    )
    created = Client.objects.exclude(pk__in=[c.pk for c in practice.clients.values()]).get()
    assert Guardian.objects.get(client=created).name == "Gail Newcomer"


@pytest.mark.parametrize("who", ["tess", "bill", "sue", "priya", "olga"])
def test_it_answers_404_on_the_intake_page_to_anyone_but_the_front_desk(practice, who):
    browser = signed_in(practice.people[who])
    assert browser.get(NEW, HARBOUR).status_code == 404
    assert browser.post(f"{NEW}?org=harbour", intake_post()).status_code == 404
    assert Client.objects.count() == len(practice.clients)


# ---- one client -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "key"),
    [
        ("fran", "ada"),
        ("fran", "mia"),
        ("bill", "ben"),
        ("tess", "ada"),
        ("theo", "mia"),
        ("sue", "ada"),
    ],
)
def test_it_shows_a_client_to_those_who_may_see_them(practice, who, key):
    client = practice.clients[key]
    page = signed_in(practice.people[who]).get(detail(client), HARBOUR)
    assert page.status_code == 200
    assert client.code in page.text
    assert client.legal_name in page.text


def test_it_shows_a_minors_guardian(practice):
    page = signed_in(practice.people["fran"]).get(detail(practice.clients["mia"]), HARBOUR)
    assert "Gina Fakename" in page.text


@pytest.mark.parametrize(
    ("who", "key"),
    [
        ("tess", "ben"),
        ("theo", "ada"),
        ("sue", "ben"),
        ("priya", "ada"),
        ("amira", "ada"),
        ("olga", "ada"),
    ],
)
def test_it_answers_404_for_a_client_one_may_not_see_as_for_one_that_does_not_exist(
    practice, who, key
):
    browser = signed_in(practice.people[who])
    forbidden = browser.get(detail(practice.clients[key]), HARBOUR)
    missing = browser.get(reverse("practice:client", args=[uuid.uuid4()]), HARBOUR)
    assert forbidden.status_code == missing.status_code == 404
    assert without_csrf(forbidden.text) == without_csrf(missing.text)


def test_it_answers_404_for_a_client_of_another_practice(practice):
    page = signed_in(practice.people["fran"]).get(detail(practice.clients["otto"]), HARBOUR)
    assert page.status_code == 404


def test_it_audits_each_read_of_a_client(practice):
    ada = practice.clients["ada"]
    signed_in(practice.people["tess"]).get(detail(ada), HARBOUR)
    # The client's own read; the page also lists the client's appointments
    # (issue 18, part 2), which is a read of the schedule of its own.
    reads = AuditEntry.objects.filter(event=EventType.RECORD_READ).order_by("id")
    read = reads.filter(target__startswith="client:").latest("id")
    assert read.target == f"client:{ada.pk}"
    assert read.actor_id == str(practice.people["tess"].pk)
    assert reads.latest("id").target == "appointment:list"


def test_it_offers_changes_and_assignment_to_the_front_desk_only(practice):
    ada = practice.clients["ada"]
    edit = reverse("practice:client_edit", args=[ada.pk])
    assert edit in signed_in(practice.people["fran"]).get(detail(ada), HARBOUR).text
    therapist_page = signed_in(practice.people["tess"]).get(detail(ada), HARBOUR).text
    assert edit not in therapist_page
    assert reverse("practice:client_assign", args=[ada.pk]) not in therapist_page


# ---- changes --------------------------------------------------------------------------


def test_it_changes_a_clients_details_through_the_form(practice):
    ada = practice.clients["ada"]
    edit = reverse("practice:client_edit", args=[ada.pk])
    fran = signed_in(practice.people["fran"])
    form = fran.get(edit, HARBOUR)
    assert form.status_code == 200
    assert ADA_LEGAL in form.text
    done = fran.post(f"{edit}?org=harbour", intake_post(legal_name="Ada Changed"))
    assert done.status_code == 302
    assert Client.objects.get(pk=ada.pk).legal_name == "Ada Changed"


def test_it_explains_what_is_wrong_with_a_change(practice):
    ada = practice.clients["ada"]
    edit = reverse("practice:client_edit", args=[ada.pk])
    page = signed_in(practice.people["fran"]).post(
        f"{edit}?org=harbour", intake_post(legal_name="")
    )
    assert page.status_code == 200
    assert "Enter the legal name." in page.text
    assert Client.objects.get(pk=ada.pk).legal_name == ADA_LEGAL


@pytest.mark.parametrize("who", ["tess", "bill", "sue", "priya"])
def test_it_answers_404_on_the_change_page_to_anyone_but_the_front_desk(practice, who):
    ada = practice.clients["ada"]
    edit = reverse("practice:client_edit", args=[ada.pk])
    browser = signed_in(practice.people[who])
    assert browser.get(edit, HARBOUR).status_code == 404
    assert browser.post(f"{edit}?org=harbour", intake_post(legal_name="X")).status_code == 404
    assert Client.objects.get(pk=ada.pk).legal_name == ADA_LEGAL


# ---- therapists -----------------------------------------------------------------------


def test_it_assigns_a_therapist_through_the_page(practice):
    ada, theo = practice.clients["ada"], practice.people["theo"]
    url = reverse("practice:client_assign", args=[ada.pk])
    done = signed_in(practice.people["fran"]).post(f"{url}?org=harbour", {"therapist": theo.pk})
    assert done.status_code == 302
    assert ClientAssignment.objects.filter(client=ada, therapist=theo, until__isnull=True).exists()
    # Theo now sees Ada.
    assert signed_in(theo).get(detail(ada), HARBOUR).status_code == 200


def test_it_explains_a_refused_assignment(practice):
    ada = practice.clients["ada"]
    url = reverse("practice:client_assign", args=[ada.pk])
    fran = signed_in(practice.people["fran"])
    page = fran.post(f"{url}?org=harbour", {"therapist": practice.people["tess"].pk}, follow=True)
    assert "This therapist already works with this client." in page.text
    page = fran.post(f"{url}?org=harbour", {"therapist": practice.people["bill"].pk}, follow=True)
    assert "Choose a therapist of this practice." in page.text


def test_it_ends_an_assignment_through_the_page(practice):
    ada, tess = practice.clients["ada"], practice.people["tess"]
    url = reverse("practice:client_unassign", args=[ada.pk])
    done = signed_in(practice.people["fran"]).post(f"{url}?org=harbour", {"therapist": tess.pk})
    assert done.status_code == 302
    assert signed_in(tess).get(detail(ada), HARBOUR).status_code == 404


@pytest.mark.parametrize("who", ["tess", "bill", "sue"])
def test_it_answers_404_on_the_assignment_pages_to_anyone_but_the_front_desk(practice, who):
    ada = practice.clients["ada"]
    browser = signed_in(practice.people[who])
    for name in ("practice:client_assign", "practice:client_unassign"):
        url = reverse(name, args=[ada.pk])
        target = practice.people["theo"] if name.endswith("_assign") else practice.people["tess"]
        assert browser.post(f"{url}?org=harbour", {"therapist": target.pk}).status_code == 404
    assert set(
        ClientAssignment.objects.filter(client=ada, until__isnull=True).values_list(
            "therapist_id", flat=True
        )
    ) == {practice.people["tess"].pk}


# ---- signed out -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method", "with_client"),
    [
        ("practice:client_list", "get", False),
        ("practice:client_new", "get", False),
        ("practice:client_new", "post", False),
        ("practice:client", "get", True),
        ("practice:client_edit", "get", True),
        ("practice:client_edit", "post", True),
        ("practice:client_assign", "post", True),
        ("practice:client_unassign", "post", True),
    ],
)
def test_it_sends_an_anonymous_visitor_to_sign_in_from_every_page(
    practice, client, name, method, with_client
):
    args = [practice.clients["ada"].pk] if with_client else []
    response = getattr(client, method)(reverse(name, args=args) + "?org=harbour")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert Client.objects.get(pk=practice.clients["ada"].pk).legal_name == ADA_LEGAL
