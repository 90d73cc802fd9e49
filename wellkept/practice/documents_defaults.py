# ruff: noqa: E501 (each paragraph is one line: the page wraps it to the screen it is read on)
"""The consent documents a new practice starts with: our own plain words, one per kind.

A practice's privacy officer publishes its own versions over these; until
then the first request for a kind publishes the default below as version 1.
"""

from __future__ import annotations

from wellkept.practice.models import DocumentKind

DEFAULTS: dict[str, tuple[str, str]] = {
    DocumentKind.TREATMENT: (
        "Consent to treatment",
        """\
You are choosing to take part in psychotherapy with a therapist of this practice.

1. Therapy is a working relationship: we agree together what we work on, and you may ask questions about your care, or stop, at any time.
2. What you say in sessions is confidential. The law makes a few exceptions: a serious risk to your life or someone else's, a child or vulnerable adult at risk, or a court order. We tell you if we ever have to act on one.
3. Your therapist keeps a record of your care, which you may read through the client portal or by asking us. Your therapist's private process notes are kept apart from it.
4. Your therapist may discuss your care with their clinical supervisor, who is bound by the same confidentiality.
""",
    ),
    DocumentKind.TELEHEALTH: (
        "Consent to therapy by video (telehealth)",
        """\
1. Sessions by video take place on the practice's own video server. Each session has its own private room and link. Sessions are not recorded.
2. At the start of every video session your therapist asks where you are and whom to call near you in an emergency.
3. Please take the session somewhere private, on a device and network you trust.
4. If the connection fails, your therapist will call you on the phone number in your record.
5. You may withdraw this consent at any time; your sessions then take place in person.
""",
    ),
    DocumentKind.DIGITAL: (
        "Consent to digital communication",
        """\
1. We may contact you by the ways you chose in your record (e-mail, text messages, the client portal) about appointments and practical matters.
2. E-mail and text messages can be read by others on the way; we keep what we send short and never put clinical details in them. The client portal is the safe place for anything more.
3. Messages are not watched around the clock: in a crisis, call the emergency services or a crisis line, not us.
4. You may withdraw this consent at any time; we then contact you by phone or letter only.
""",
    ),
    DocumentKind.FINANCIAL: (
        "Financial policy",
        """\
1. Fees are set out in the practice's fee list and agreed before your first session. Each session is invoiced; invoices are in the client portal.
2. An appointment cancelled with less than 24 hours' notice may be charged, unless something outside your control prevented you from coming.
3. If you claim from an insurer, we give you a superbill; the claim and its outcome are between you and your insurer.
4. If paying becomes difficult, please tell us early: we would rather agree a plan than stop your care.
""",
    ),
    DocumentKind.RELEASE: (
        "Release of information",
        """\
I allow the practice to share the information named below with the person or
organisation named below, for the purpose named below, until the date named
below or until I withdraw this permission in writing. Your therapist fills in
the details with you before you sign.
""",
    ),
}
