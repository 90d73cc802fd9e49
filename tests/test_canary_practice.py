"""Canary for the practice: every intake field, planted through the real forms.

The front desk takes a minor in with a guardian, then changes the details;
the therapist opens the client, writes and signs a progress note, adds an
addendum, keeps a psychotherapy note, and writes a treatment plan the
client signs; the front desk searches by name; billing charges a
session, records a payment and downloads a superbill and an invoice. Every
value typed is distinctive. Then the test reads what an attacker with the
machine would (the SQLite file and its WAL, or ``pg_dump``; every log line;
the audit trail's SIEM export; an encrypted backup and its manifest) and
fails on any of them in clear. Every file the practice hands out (the
superbill and invoice PDFs, the calendar feed, the audit export) is read
for the clinical values too: the billing and calendar files may carry a
name or a code, never a word of a note, a diagnosis's description or a
psychotherapy note.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
import zlib
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client as Browser
from django.urls import reverse

from tests import test_canary_journey as journey
from wellkept import clock
from wellkept.accounts.tests.conftest import record_authentication
from wellkept.disclosures.models import Authorisation, LegalBasis
from wellkept.lifecycle.models import LegalHold
from wellkept.portal.models import PortalAppointmentRequest
from wellkept.practice.codes import Diagnosis, diagnosis
from wellkept.practice.forms import VIDEO
from wellkept.practice.models import (
    Client,
    ConsentDocumentSignature,
    Invoice,
    MeasureResult,
    ProgressNote,
    Room,
    TreatmentPlan,
    VideoRoom,
)
from wellkept.practice.tests.billing import past_session, with_fees
from wellkept.practice.tests.conftest import build_practice, signed_in, years_ago

pytestmark = pytest.mark.django_db(transaction=True)

log_file = journey.log_file
SOAP_SECTIONS = ("subjective", "objective", "assessment", "plan")

PLANTED = {
    "legal name": "Ottoline Marmosetcanary",
    "preferred name": "Lemurcanary",
    "pronouns": "zir/zirs-canary",
    "e-mail": "marmoset.canary@canary-private.invalid",
    "phone": "+44 7700 900417",
    "emergency name": "Tarsiercanary Brotherson",
    "emergency relation": "Okapicanary cousin",
    "emergency phone": "+44 7700 900418",
    "referral": "Dr Gharialcanary Referrer",
    "payer": "Saigacanary Mutual",
    "member id": "SAIGA-CANARY-55107",
    "guardian name": "Binturongcanary Parent",
    "guardian relation": "Fossacanary stepmother",
    "guardian phone": "+44 7700 900419",
    "guardian e-mail": "fossa.canary@canary-private.invalid",
    "changed legal name": "Ottoline Quollcanary",
}
# Notes (issue 18, part 3): a progress note's sections, an addendum, and a
# psychotherapy note, each typed into its page by the therapist.
PLANTED_NOTES = {
    "subjective": "Reports the Axolotlcanary dream",
    "objective": "Observed Numbatcanary fidgeting",
    "assessment": "Assessed Kakapocanary strain",
    "plan": "Plan Quokkacanary homework",
    "addendum": "Addendum Dugongcanary phone call",
    "psychotherapy note": "Private Aye-ayecanary hunch",
}
# The diagnosis is chosen from the ICD-10-CM release, not typed: its code may
# travel to the insurer on a superbill, its description (what the code means
# for this client) nowhere outside the record.
# (Spelt out: the classification takes seconds to load, too long for import.)
DIAGNOSIS = Diagnosis(code="F43.22", description="Adjustment disorder with anxiety")
PLANTED_DIAGNOSIS = {"diagnosis code": DIAGNOSIS.code, "diagnosis": DIAGNOSIS.description}

# Treatment plans (issue 18, part 4): a plan written through its page, and
# the client's typed signature (the client's changed legal name, planted above).
PLANTED_PLAN = {
    "problem": "Problem Pangolincanary worry",
    "goal": "Goal Tapircanary calm",
    "objective": "Objective Wombatcanary diary",
    "measure": "Measure Caracalcanary scale",
    "target": "Target Serowcanary level",
    "intervention": "Intervention Jerboacanary exposure",
}

# Discharge and holds (issue 18, part 6): a legal hold's reasons on a
# client, under the client's key.
PLANTED_HOLDS = {
    "hold reason": "Pangolincanary tribunal claim 2026/5",
    "lift reason": "Settled: Civetcanary agreement signed",
}

# Billing (issue 18, part 5): a payment's reference, typed by billing.
PLANTED_BILLING = {"payment reference": "Pangolincanary card ending 4417"}
# Secure messaging (issue 19): a thread's subject, the client's message, the
# attachment's name and content, the therapist's reply.
PLANTED_MESSAGES = {
    "message subject": "Subject Kinkajoucanary worries",
    "client message": "Message Capybaracanary about last night",
    "attachment name": "Okapicanary-diary.txt",
    "attachment content": "Diary Gerenukcanary entry",
    "therapist reply": "Reply Markhorcanary suggestion",
}
# The client portal (issue 19): the passwords the client and a minor's guardian choose.
PLANTED_PORTAL = {
    "portal password": "Xylophonequokka sings beneath moonlit rain",
    "guardian password": "Numbatcanary hums over the quiet harbour",
    # Portal appointment requests: the client's note, the practice's decline.
    "request note": "Only after Dugongcanary school run",
    "decline reason": "Tess away at Okapicanary retreat",
}

# Telehealth (issue 19): where the client is for a video session, and whom
# to call there, typed by the therapist; the consent's typed name is the
# planted legal name, and its IP the test client's.
PLANTED_TELEHEALTH = {
    "client location": "Flat 9, Quokkacanary Court, Marmotby",
    "emergency contact": "Marmotby emergency 999, neighbour Tapircanary Vole",
}

# Release of information (issue 19): the recipient, the purpose, a legal
# basis's reference and reason, a revocation's reason: under the client's key.
PLANTED_RELEASE = {
    "recipient name": "Dr Wombatcanary Quillsworth",
    "recipient organisation": "Tapircanary Surgery",
    "recipient address": "tapircanary@example.invalid",
    "release purpose": "Continuity of care, Numbatcanary referral",
    "basis reference": "Order Dugongcanary 2026/77",
    "basis reason": "Court order Dugongcanary requires the treatment dates.",
    "revocation": "Letter from the client: Bilbycanary, stop all releases.",
}


def pdf_text(data: bytes) -> bytes:
    """A PDF's bytes with every compressed stream inflated, as any PDF reader would show them."""
    parts = [data]
    for found in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.DOTALL):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompressobj().decompress(found.group(1)))
    return b"\n".join(parts)


def backup_bytes(folder: Path) -> dict[str, bytes]:
    """An encrypted backup of everything planted, and its manifest, as a thief would copy them."""
    backup = folder / "practice.wkbackup"
    call_command("backup", "create", str(backup), "--no-progress", stdout=StringIO())
    written = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert set(written) == {backup.name, f"{backup.name}.manifest.json"}
    return written


def test_practice_values_appear_nowhere_in_clear(tmp_path: Path, log_file: Path, settings) -> None:
    settings.WELLKEPT_BACKUP_KEY_FILE = tmp_path / "keys" / "backup.key"
    (tmp_path / "backups").mkdir()
    assert diagnosis(DIAGNOSIS.code) == DIAGNOSIS
    practice = build_practice()
    fran = signed_in(practice.people["fran"])
    born = years_ago(13).isoformat()
    intake = {
        "legal_name": PLANTED["legal name"],
        "preferred_name": PLANTED["preferred name"],
        "pronouns": PLANTED["pronouns"],
        "date_of_birth": born,
        "email": PLANTED["e-mail"],
        "phone": PLANTED["phone"],
        "contact_channels": ["email", "text"],
        "voicemail_ok": "on",
        "emergency_name": PLANTED["emergency name"],
        "emergency_relation": PLANTED["emergency relation"],
        "emergency_phone": PLANTED["emergency phone"],
        "referral_source": PLANTED["referral"],
        "insurance_payer": PLANTED["payer"],
        "insurance_member_id": PLANTED["member id"],
        "guardian_name": PLANTED["guardian name"],
        "guardian_relation": PLANTED["guardian relation"],
        "guardian_phone": PLANTED["guardian phone"],
        "guardian_email": PLANTED["guardian e-mail"],
    }
    taken = fran.post(f"{reverse('practice:client_new')}?org=harbour", intake)
    assert taken.status_code == 302
    client = Client.objects.get(
        pk__in=[c.pk for c in Client.objects.all() if c.legal_name == PLANTED["legal name"]]
    )
    edit = f"{reverse('practice:client_edit', args=[client.pk])}?org=harbour"
    changed = {k: v for k, v in intake.items() if not k.startswith("guardian_")}
    assert (
        fran.post(edit, {**changed, "legal_name": PLANTED["changed legal name"]}).status_code == 302
    )
    assign = f"{reverse('practice:client_assign', args=[client.pk])}?org=harbour"
    fran.post(assign, {"therapist": practice.people["tess"].pk})
    found = fran.get(reverse("practice:client_list"), {"org": "harbour", "q": "Quollcanary"})
    assert client.code in found.text

    page = signed_in(practice.people["tess"]).get(
        reverse("practice:client", args=[client.pk]), {"org": "harbour"}
    )
    assert PLANTED["changed legal name"] in page.text
    assert PLANTED["guardian name"] in page.text

    tess_user = practice.people["tess"]
    tess = signed_in(tess_user)
    record_authentication(tess, tess_user, "mfa", at=time.time(), type="totp")
    query = "?org=harbour"
    written = tess.post(
        reverse("practice:note_new", args=[client.pk]) + query + "&template=soap",
        {
            "service_date": years_ago(0).isoformat(),
            "diagnosis_codes": DIAGNOSIS.code,
            **{f"section_{k}": PLANTED_NOTES[k] for k in SOAP_SECTIONS},
        },
    )
    assert written.status_code == 302
    note = ProgressNote.objects.get(client=client)
    args = [client.pk, note.pk]
    assert tess.post(reverse("practice:note_sign", args=args) + query).status_code == 302
    added = tess.post(
        reverse("practice:addendum_new", args=args) + query, {"body": PLANTED_NOTES["addendum"]}
    )
    assert added.status_code == 302
    pnotes = reverse("practice:pnotes", args=[client.pk]) + query
    assert tess.post(pnotes, {"body": PLANTED_NOTES["psychotherapy note"]}).status_code == 302
    shown = tess.get(reverse("practice:note", args=args) + query)
    assert PLANTED_NOTES["addendum"] in shown.text
    assert DIAGNOSIS.description in shown.text
    assert PLANTED_NOTES["psychotherapy note"] in tess.get(pnotes).text
    plan_outline = "\n".join(
        [
            f"Problem: {PLANTED_PLAN['problem']}",
            f"Goal: {PLANTED_PLAN['goal']}",
            f"Objective: {PLANTED_PLAN['objective']}",
            f"Measure: {PLANTED_PLAN['measure']}",
            f"Target: {PLANTED_PLAN['target']}",
            "By: 2031-01-31",
            f"Intervention: {PLANTED_PLAN['intervention']}",
        ]
    )
    review = (clock.now() + dt.timedelta(days=3)).date().isoformat()
    made = tess.post(
        reverse("practice:plan_new", args=[client.pk]) + query,
        {"content": plan_outline, "review_date": review},
    )
    assert made.status_code == 302
    plan = TreatmentPlan.objects.get(client=client)
    plan_args = [client.pk, plan.pk]
    assert tess.post(reverse("practice:plan_sign", args=plan_args) + query).status_code == 302
    signed_by_client = tess.post(
        reverse("practice:plan_client_sign", args=plan_args) + query,
        {"typed_name": PLANTED["changed legal name"], "agreed": "on"},
    )
    assert signed_by_client.status_code == 302
    plan_page = tess.get(reverse("practice:plan_version", args=plan_args) + query)
    assert PLANTED_PLAN["intervention"] in plan_page.text
    call_command("practice", "plan-reviews", stdout=StringIO())
    # Measures (issue 18, part 4): a PHQ-9 recorded through its page, with a
    # safety answer, so the alert and its e-mail are written too. A score
    # has no distinctive words, so its stored form is checked for the
    # answers' keys instead.
    answers = {f"phq9_{n}": "2" for n in range(1, 9)} | {"phq9_9": "1"}
    recorded = tess.post(
        reverse("practice:measure_record", args=[client.pk, "phq9"]) + query,
        {**answers, "administered_on": years_ago(0).isoformat()},
    )
    assert recorded.status_code == 200
    assert MeasureResult.objects.filter(client=client).count() == 1
    # The schedule (issue 18, part 2) holds no personal field of its own: the
    # client is booked, shown in a calendar with the preferred name, reminded
    # and synced to a feed, and none of that may copy a value out in clear.
    room = Room.objects.create(organisation=practice.harbour, name="Canary-free Room")
    start = clock.now() + dt.timedelta(hours=3)
    booked = fran.post(
        f"{reverse('practice:appointment_new')}?org=harbour",
        {
            "client": client.pk,
            "therapist": practice.people["tess"].pk,
            "date": start.date().isoformat(),
            "time": start.strftime("%H:00"),
            "minutes": "50",
            "place": room.pk,
        },
    )
    assert booked.status_code == 302
    week = fran.get(
        reverse("practice:schedule"),
        {"org": "harbour", "therapist": practice.people["tess"].pk, "day": start.date()},
    )
    assert PLANTED["preferred name"] in week.text
    call_command("practice", "reminders", "send", stdout=StringIO())
    feed = signed_in(practice.people["tess"]).post(f"{reverse('practice:feed_create')}?org=harbour")
    address = feed.context["address"]
    synced = Browser().get(address[address.index("/practice/") :])
    assert client.code in synced.text
    # Telehealth (issue 19): a video session booked by the front desk; the
    # therapist records the client's consent and the emergency protocol.
    video = start + dt.timedelta(hours=2)
    booked = fran.post(
        f"{reverse('practice:appointment_new')}?org=harbour",
        {
            "client": client.pk,
            "therapist": practice.people["tess"].pk,
            "date": video.date().isoformat(),
            "time": video.strftime("%H:00"),
            "minutes": "50",
            "place": VIDEO,
        },
    )
    assert booked.status_code == 302
    video_room = VideoRoom.objects.get(appointment__client=client)
    consented = tess.post(
        f"{reverse('practice:telehealth_consent', args=[client.pk])}?org=harbour",
        {"typed_name": PLANTED["changed legal name"], "agreed": "on"},
    )
    assert consented.status_code == 302
    confirmed = tess.post(
        f"{reverse('practice:video_session', args=[video_room.appointment_id])}?org=harbour",
        {
            "client_location": PLANTED_TELEHEALTH["client location"],
            "emergency_contact": PLANTED_TELEHEALTH["emergency contact"],
        },
    )
    assert confirmed.status_code == 302
    started = tess.get(
        f"{reverse('practice:video_session', args=[video_room.appointment_id])}?org=harbour"
    )
    assert PLANTED_TELEHEALTH["emergency contact"] in started.text
    # Release of information (issue 19): an authorisation signed, a legal
    # basis, a disclosure under each, the authorisation revoked.
    release = {
        "kind": "records",
        "categories": ["demographics"],
        "records_from": (clock.now().date() - dt.timedelta(days=30)).isoformat(),
        "records_to": clock.now().date().isoformat(),
        "recipient_name": PLANTED_RELEASE["recipient name"],
        "recipient_organisation": PLANTED_RELEASE["recipient organisation"],
        "recipient_address": PLANTED_RELEASE["recipient address"],
        "purpose": PLANTED_RELEASE["release purpose"],
        "expires_on": (clock.now().date() + dt.timedelta(days=30)).isoformat(),
        "signed_name": PLANTED["changed legal name"],
        "read_by_client": "on",
    }
    on_client = [client.pk]
    signed_page = reverse("disclosures:authorisation_new", args=on_client) + query
    assert tess.post(signed_page, release).status_code == 302
    authorisation = Authorisation.objects.get(client=client)
    basis_page = reverse("disclosures:legal_basis_new", args=on_client) + query
    basis = {
        "kind": "court_order",
        "reference": PLANTED_RELEASE["basis reference"],
        "reason": PLANTED_RELEASE["basis reason"],
    }
    assert tess.post(basis_page, basis).status_code == 302
    legal_basis = LegalBasis.objects.get(client=client)
    disclose_page = reverse("disclosures:disclosure_new", args=on_client) + query
    for chosen in (f"a:{authorisation.pk}", f"b:{legal_basis.pk}"):
        made = tess.post(
            disclose_page,
            {**release, "basis": chosen, "recipient_name": PLANTED_RELEASE["recipient name"]},
        )
        assert made.status_code == 200
        assert "shown only now" in made.text
    revoke = reverse("disclosures:authorisation_revoke", args=[client.pk, authorisation.pk])
    assert tess.post(revoke + query, {"reason": PLANTED_RELEASE["revocation"]}).status_code == 302

    # The client portal (issue 19): the front desk invites the client through
    # the page, the client accepts through the mailed link with a planted
    # password and reads their pages. The link's secret and the password
    # must be nowhere in clear; the login's address is the planted e-mail.
    mail.outbox.clear()
    invited = fran.post(
        f"{reverse('portal:staff_invite', args=[client.pk])}?org=harbour", follow=True
    )
    assert "Invitation sent" in invited.text
    (message,) = mail.outbox
    portal_link = re.search(r"https?://\S+/portal/invitation/(\S+)/", message.body)
    assert portal_link is not None
    portal_secret = portal_link.group(1).split(".", 1)[1]
    visitor = Browser()
    visitor.get(reverse("portal:invitation_open", args=[portal_link.group(1)]))
    accepted = visitor.post(
        reverse("portal:invitation_accept"),
        {
            "password1": PLANTED_PORTAL["portal password"],
            "password2": PLANTED_PORTAL["portal password"],
        },
    )
    assert accepted.status_code == 302
    assert "Canary-free Room" in visitor.get(reverse("portal:appointments")).text
    assert "Tess" in visitor.get(reverse("portal:access_log")).text
    # Secure messaging (issue 19): the client writes from the portal with a
    # file; the therapist replies. Neither the mails nor any stored byte
    # may hold a word of it.
    from django.core.files.uploadedfile import SimpleUploadedFile

    mail.outbox.clear()
    started = visitor.post(
        reverse("messaging_portal:thread_new"),
        {
            "kind": "care",
            "subject": PLANTED_MESSAGES["message subject"],
            "body": PLANTED_MESSAGES["client message"],
            "attachment": SimpleUploadedFile(
                PLANTED_MESSAGES["attachment name"],
                PLANTED_MESSAGES["attachment content"].encode(),
            ),
        },
    )
    assert started.status_code == 302
    thread_pk = started["Location"].rstrip("/").rsplit("/", 1)[-1]
    replied = signed_in(practice.people["tess"]).post(
        reverse("messaging:reply", args=[thread_pk]) + "?org=harbour",
        {"body": PLANTED_MESSAGES["therapist reply"]},
    )
    assert replied.status_code == 302
    assert mail.outbox, "a message waiting is mailed"
    mailed = "".join(m.subject + m.body for m in mail.outbox)
    assert not [v for v in PLANTED_MESSAGES.values() if v in mailed]
    # Consent documents (issue 19): the therapist asks for the treatment
    # consent; the client signs it in the portal by typing the planted legal
    # name, which the signature keeps only under the client's key.
    asked = tess.post(
        f"{reverse('practice:document_request', args=[client.pk])}?org=harbour",
        {"kind": "treatment"},
    )
    assert asked.status_code == 302
    form_to_sign = ConsentDocumentSignature.objects.get(client=client, signed_at__isnull=True)
    signed_form = visitor.post(
        reverse("portal:form_sign", args=[form_to_sign.pk]),
        {"typed_name": PLANTED["changed legal name"], "agreed": "on"},
    )
    assert signed_form.status_code == 302
    assert visitor.get(reverse("portal:form_receipt", args=[form_to_sign.pk])).status_code == 200
    # The client's own record: read and downloaded, never written anywhere.
    assert visitor.get(reverse("portal:disclosures")).status_code == 200
    assert visitor.get(reverse("portal:record_json")).status_code == 200
    # The minor's guardian (issue 19): the therapist shares appointments and
    # invites the guardian through the page; the guardian accepts with a
    # planted password. The link and the password must be nowhere in clear.
    mail.outbox.clear()
    shared = tess.post(
        reverse("portal:guardian_sharing", args=[client.pk]) + query,
        {"sections": ["appointments"]},
    )
    assert shared.status_code == 302
    guardian_row = client.guardians.get()
    invited = tess.post(
        reverse("portal:guardian_invite", args=[client.pk, guardian_row.pk]) + query, follow=True
    )
    assert "Invitation sent" in invited.text
    (message,) = mail.outbox
    assert message.to == [PLANTED["guardian e-mail"]]
    guardian_link = re.search(r"https?://\S+/portal/invitation/(\S+)/", message.body)
    assert guardian_link is not None
    guardian_secret = guardian_link.group(1).split(".", 1)[1]
    parent = Browser()
    parent.get(reverse("portal:invitation_open", args=[guardian_link.group(1)]))
    accepted = parent.post(
        reverse("portal:invitation_accept"),
        {
            "password1": PLANTED_PORTAL["guardian password"],
            "password2": PLANTED_PORTAL["guardian password"],
        },
    )
    assert accepted.status_code == 302
    assert "Canary-free Room" in parent.get(reverse("portal:guardian_appointments")).text
    # ... asks for an appointment with a planted note; the front desk declines
    # it with a planted reason.
    asked_for = (clock.now() + dt.timedelta(days=5)).strftime("%Y-%m-%dT10:00")
    requested = visitor.post(
        reverse("portal:requests"),
        {"first_choice": asked_for, "note": PLANTED_PORTAL["request note"]},
    )
    assert requested.status_code == 302
    portal_request = PortalAppointmentRequest.objects.get(client_id=client.pk)
    declined = fran.post(
        reverse("portal:staff_request_decline", args=[portal_request.pk]) + "?org=harbour",
        {"decline-reason": PLANTED_PORTAL["decline reason"]},
    )
    assert declined.status_code == 302
    assert PLANTED_PORTAL["decline reason"] in visitor.get(reverse("portal:requests")).text
    # Discharge and holds (issue 18, part 6): the therapist discharges the
    # client with a reason; the privacy officer holds the record, then lifts
    # the hold, each with a reason typed into the page.
    discharged = signed_in(practice.people["tess"]).post(
        f"{reverse('practice:client_discharge', args=[client.pk])}?org=harbour",
        {"reason_code": "no_contact", "confirm": "on"},
    )
    assert discharged.status_code == 302
    priya = signed_in(practice.people["priya"])
    held = priya.post(
        f"{reverse('lifecycle:hold_set')}?org=harbour",
        {"client": client.code, "reason": PLANTED_HOLDS["hold reason"]},
    )
    assert held.status_code == 302
    hold = LegalHold.objects.get(client_id=client.pk)
    lifted = priya.post(
        f"{reverse('lifecycle:hold_lift', args=[hold.pk])}?org=harbour",
        {"reason": PLANTED_HOLDS["lift reason"]},
    )
    assert lifted.status_code == 302

    # Billing (issue 18, part 5): a past session charged from the queue, a
    # payment with a planted reference, an invoice and a superbill download.
    practice.clients["canary"] = client
    with_fees(practice)
    session = past_session(practice, client="canary", therapist="tess")
    bill = signed_in(practice.people["bill"])
    charged = bill.post(
        reverse("practice:billing_charge", args=[session.pk]) + query, {"service_code": "90834"}
    )
    assert charged.status_code == 302
    paid = bill.post(
        reverse("practice:billing_payment", args=[client.pk]) + query,
        {
            "amount": "40",
            "method": "card",
            "received_on": clock.now().date().isoformat(),
            "reference": PLANTED_BILLING["payment reference"],
        },
    )
    assert paid.status_code == 302
    assert (
        bill.post(reverse("practice:billing_invoice", args=[client.pk]) + query).status_code == 302
    )
    # From the session to today, so the signed note's diagnosis is on it too.
    pdf = bill.post(
        reverse("practice:billing_superbill", args=[client.pk]) + query,
        {"start": session.start.date().isoformat(), "end": clock.now().date().isoformat()},
    )
    assert pdf["Content-Type"] == "application/pdf"
    invoice = Invoice.objects.get(client=client)
    invoice_pdf = bill.get(
        reverse("practice:billing_invoice_pdf", args=[client.pk, invoice.pk]) + query
    )
    assert invoice_pdf["Content-Type"] == "application/pdf"

    # Every file the practice hands out (issue 18, part 7). Billing's and the
    # calendar's files carry what they are for (the detector reads them:
    # the superbill shows the name and the code), and nothing clinical.
    exports = {
        "superbill": pdf_text(pdf.content),
        "invoice": pdf_text(invoice_pdf.content),
        "calendar feed": synced.content,
        "audit export": journey.audit_export_bytes(tmp_path),
    }
    assert PLANTED["changed legal name"].encode() in exports["superbill"]
    assert DIAGNOSIS.code.encode() in exports["superbill"]
    assert client.code.encode() in exports["invoice"]
    clinical = {**PLANTED_NOTES, "diagnosis": DIAGNOSIS.description, **PLANTED_PLAN}
    told = [
        f"{what} in the {where}"
        for where, data in exports.items()
        for what, value in clinical.items()
        if any(form in data for form in journey.forms_of(value))
    ]
    assert told == []

    database = journey.stored_bytes(tmp_path)
    backup = backup_bytes(tmp_path / "backups")
    sources = {
        "database": database,
        "log": log_file.read_bytes(),
        "audit export": exports["audit export"],
        **{f"backup file {name}": data for name, data in backup.items()},
    }
    # The backup hides even what the database keeps in clear by design (the
    # client's practice number), so a plaintext backup would fail here.
    assert client.code.encode() in database
    assert not any(client.code.encode() in data for data in backup.values())
    leaks = [
        f"{what} in the {where}"
        for where, data in sources.items()
        for what, value in {
            **PLANTED,
            **PLANTED_NOTES,
            **PLANTED_PLAN,
            **PLANTED_HOLDS,
            **PLANTED_BILLING,
            **PLANTED_DIAGNOSIS,
            **PLANTED_TELEHEALTH,
            **PLANTED_RELEASE,
            **PLANTED_PORTAL,
            **PLANTED_MESSAGES,
            "portal link secret": portal_secret,
            "guardian link secret": guardian_secret,
        }.items()
        if any(form in data for form in journey.forms_of(value))
    ]
    assert leaks == []
    # The measure's answers and score: never their JSON keys in clear (as a
    # key, with its colon: billing's invoices have a column named total).
    for key in (b'"phq9_9":', b'"safety":', b'"total":'):
        assert key not in sources["database"]
        assert key not in sources["log"]
    # Not even the date of birth, which the database would hold as a plain date.
    assert born.encode() not in sources["database"]
    # Nor why the client's care ended (a choice's value, not free text).
    assert b"no_contact" not in sources["database"]
