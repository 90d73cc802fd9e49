"""Consent receipts: what a participant agreed to, as JSON they can keep and as FHIR.

``consent_receipt`` follows the Kantara Initiative Consent Receipt
Specification v1.1 field names (the record information that ISO/IEC TS
27560:2023 builds on), with the Wellkept facts a receipt needs to be checked
later: the event, the notice version and the digest of the data inventory it
was generated from, and which choices were on. Everything is read from the
notice content frozen at publication, never from today's code, so a receipt
says what the person was shown.

The person is named by their participant token only: a receipt is handed to
the participant and may travel (e-mail, a file share), and it must not link
the token to a login, a name or an address if it is lost.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.urls import reverse

from wellkept.consent import inventory
from wellkept.consent.models import ConsentEvent, ConsentRecord, Notice

KANTARA_VERSION = "KI-CR-v1.1.0"
# An identifier system (a URI naming what the value is), not a secret.
TOKEN_SYSTEM = "https://wellkept.invalid/participant-token"  # noqa: S105
FHIR_BASE = "https://wellkept.invalid/fhir"
RECEIPT_SYSTEM = "https://wellkept.invalid/consent-receipt"
NOTICE_SYSTEM = "https://wellkept.invalid/notice"
CHOICE_SYSTEM = f"{FHIR_BASE}/CodeSystem/consent-choice"
LOINC = "http://loinc.org"
# LOINC 59284-0 "Consent Document", the category HL7's own Consent examples use.
CONSENT_DOCUMENT = "59284-0"

CHOICE_KEYS = ("take_part", "follow_up_contact", "safety_alert")

# Kantara v1.1 purpose categories (appendix), per choice.
PURPOSE_CATEGORIES: dict[str, list[str]] = {
    "take_part": ["1 - Core Function", "14 - Protecting Your Health", "16 - Improve Performance"],
    "follow_up_contact": ["4 - Contact Requested", "14 - Protecting Your Health"],
    "safety_alert": ["14 - Protecting Your Health"],
}

# Which inventory entries each optional choice opens to someone else: the
# entries whose "who sees it" names the follow-up team for that choice.
# Taking part covers the whole inventory.
CHOICE_VISIBILITY: dict[str, inventory.Visibility] = {
    "follow_up_contact": inventory.Visibility.FOLLOW_UP,
    "safety_alert": inventory.Visibility.SAFETY,
}


def notice_url(notice: Notice) -> str:
    """Return the absolute address of the notice page for a published version."""
    base = str(settings.WELLKEPT_BASE_URL).rstrip("/")
    return base + reverse("consent:notice_version", kwargs={"version": notice.version})


def choices_of(record: ConsentRecord) -> dict[str, bool]:
    """Return each choice and whether it was on after this decision."""
    return {key: bool(getattr(record, key)) for key in CHOICE_KEYS}


def _choice_texts(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["key"]: c for c in content.get("choices", []) if isinstance(c, dict)}


def _items_for(choice: str, content: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the frozen inventory entries a choice is about."""
    items = [i for i in content.get("data", []) if isinstance(i, dict)]
    if choice == "take_part":
        return items
    # Matched by key against the code's inventory: the frozen entries carry
    # the visibility as display text, which may be reworded between versions.
    seen = CHOICE_VISIBILITY[choice]
    keys = {item.key for item in inventory.INVENTORY if seen in item.visibility}
    return [i for i in items if i.get("key") in keys]


def _categories(items: list[dict[str, Any]]) -> list[str]:
    categories: list[str] = []
    for item in items:
        category = str(item.get("category", ""))
        if category and category not in categories:
            categories.append(category)
    return categories


def _purpose(choice: str, content: dict[str, Any]) -> dict[str, Any]:
    text = _choice_texts(content).get(choice, {})
    label = str(text.get("label", choice))
    explanation = str(text.get("explanation", ""))
    return {
        "purpose": f"{label}. {explanation}".strip() if explanation else label,
        "purposeCategory": PURPOSE_CATEGORIES[choice],
        "consentType": "EXPLICIT",
        "piiCategory": _categories(_items_for(choice, content)),
        "primaryPurpose": choice == "take_part",
        "termination": str(content.get("withdrawal", "")),
        # Nothing leaves the organisation: every reader is its own staff.
        "thirdPartyDisclosure": False,
    }


def _timestamp(record: ConsentRecord) -> dt.datetime:
    return record.recorded_at.astimezone(dt.UTC)


def consent_receipt(record: ConsentRecord) -> dict[str, Any]:
    """Return the receipt for one consent decision as JSON-ready data."""
    notice = record.notice
    content: dict[str, Any] = dict(notice.content or {})
    choices = choices_of(record)
    at = _timestamp(record)
    withdrawn = record.event == ConsentEvent.WITHDRAWN or not record.take_part
    return {
        "version": KANTARA_VERSION,
        "jurisdiction": str(settings.WELLKEPT_JURISDICTION),
        # Kantara v1.1 asks for a NumericDate (seconds since the epoch).
        "consentTimestamp": int(at.timestamp()),
        "collectionMethod": record.method,
        "consentReceiptID": str(record.pk),
        # Receipts are not signed yet, so no public key is given (it is optional).
        "language": str(getattr(settings, "LANGUAGE_CODE", "en")),
        "piiPrincipalId": record.participant.token,
        "piiControllers": [
            {
                "piiController": str(content.get("controller", "")),
                "onBehalf": False,
                "contact": str(content.get("privacy_contact", "")),
            }
        ],
        "policyUrl": notice_url(notice),
        "services": [
            {
                "service": f"Wellbeing programme of {content.get('controller', '')}".strip(),
                # Only what the person said yes to: a withdrawal lists nothing.
                "purposes": [
                    _purpose(key, content) for key in CHOICE_KEYS if choices[key] and not withdrawn
                ],
            }
        ],
        # Answers to wellbeing questionnaires are health data (GDPR art. 9).
        "sensitive": True,
        "spiCat": ["health"],
        # Wellkept's own fields, for checking the receipt against the record.
        "consentStatus": "withdrawn" if withdrawn else "active",
        "event": record.event,
        "eventLabel": str(ConsentEvent(record.event).label),
        "recordedAt": at.isoformat(),
        "noticeVersion": notice.version,
        "noticePublishedAt": notice.published_at.astimezone(dt.UTC).isoformat(),
        "inventoryDigest": notice.inventory_digest,
        "choices": choices,
    }


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def consent_fhir(
    record: ConsentRecord, *, superseded_at: dt.datetime | None = None
) -> dict[str, Any]:
    """Return one consent decision as a validated FHIR R5 Consent, as JSON-ready data.

    The base ``decision`` is permit while the person takes part and deny once
    they withdrew. In R5 each provision negates the level above it, so the
    optional choices left off are listed as provisions (exceptions to the
    permit) by purpose. ``superseded_at`` marks a decision that a later one
    replaced: it is then inactive, and its period ends there.
    """
    # Imported here: the FHIR models are slow to import, and only exports need them.
    from fhir.resources.consent import Consent

    notice = record.notice
    content: dict[str, Any] = dict(notice.content or {})
    texts = _choice_texts(content)
    at = _timestamp(record)
    taking_part = record.take_part and record.event != ConsentEvent.WITHDRAWN
    period: dict[str, Any] = {"start": at.isoformat()}
    if superseded_at is not None:
        period["end"] = superseded_at.astimezone(dt.UTC).isoformat()
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": str(record.pk),
        "identifier": [{"system": RECEIPT_SYSTEM, "value": str(record.pk)}],
        "status": "active" if taking_part and superseded_at is None else "inactive",
        "category": [
            {
                "coding": [_coding(LOINC, CONSENT_DOCUMENT, "Consent Document")],
                "text": "Taking part in the wellbeing programme",
            }
        ],
        # A participant is known by their token only, never by a login or name.
        "subject": {"identifier": {"system": TOKEN_SYSTEM, "value": record.participant.token}},
        "grantor": [{"identifier": {"system": TOKEN_SYSTEM, "value": record.participant.token}}],
        "date": at.date().isoformat(),
        "period": period,
        "controller": [{"display": str(content.get("controller", ""))}],
        "regulatoryBasis": [
            {
                "coding": [
                    _coding(
                        f"{FHIR_BASE}/CodeSystem/lawful-basis",
                        inventory.LawfulBasis.CONSENT.value,
                        str(inventory.LawfulBasis.CONSENT.label),
                    )
                ],
                "text": str(inventory.LawfulBasis.CONSENT.label),
            }
        ],
        "policyBasis": {"url": notice_url(notice)},
        "policyText": [
            {
                "identifier": {
                    "system": NOTICE_SYSTEM,
                    "value": f"{notice.organisation_id}/v{notice.version}",
                },
                "display": (
                    f"Participation notice version {notice.version} "
                    f"(inventory {notice.inventory_digest[:12]})"
                ),
            }
        ],
        "decision": "permit" if taking_part else "deny",
    }
    if taking_part:
        declined = [key for key in CHOICE_KEYS[1:] if not getattr(record, key)]
        if declined:
            resource["provision"] = [
                {
                    "purpose": [
                        _coding(CHOICE_SYSTEM, key, str(texts.get(key, {}).get("label", key)))
                        for key in declined
                    ]
                }
            ]
    return Consent.model_validate(resource).model_dump(mode="json", exclude_none=True)
