"""Data-subject exports: everything kept about a participant, as JSON and as a FHIR R5 Bundle.

These functions only gather and shape data. The caller (the participant's
own download, or a privacy officer answering a request) decides through the
policy and writes the audit event first.

Nothing in an export names the login: the participant appears by token only,
and no user id, e-mail address or login link is read. A downloaded file may
end up anywhere, and it must not become the login -> token link that
invariant 2 keeps out of the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from wellkept import clock
from wellkept.assessments.instruments import Instrument, UnknownInstrument, get_instrument
from wellkept.assessments.instruments.fhir import (
    BASE_URL,
    ITEM_WEIGHT,
    LOINC,
    answer_system,
)
from wellkept.assessments.models import (
    CheckIn,
    ReminderOptOut,
    ReminderSent,
    Response,
    SafetyAlert,
)
from wellkept.assessments.selectors import decode_payload
from wellkept.assessments.services import read_draft
from wellkept.consent.models import ConsentRecord
from wellkept.consent.receipts import TOKEN_SYSTEM, consent_fhir, consent_receipt
from wellkept.followup.exports import followup_export
from wellkept.lifecycle.selectors import access_by_others
from wellkept.orgs.models import Participant, RoleCategory

FORMAT = "wellkept-participant-export/1"
TOTAL_SCORE = f"{BASE_URL}/StructureDefinition/total-score"
SCORE_BAND = f"{BASE_URL}/StructureDefinition/score-band"

ABOUT = (
    "This file holds everything the Wellkept wellbeing programme keeps about you, filed "
    "under your code number (token), never under your name: where you work as you told us, "
    "every consent decision with its receipt, your check-ins, your answers with the "
    "questions and the answers you chose, your scores, safety alerts, your reminder "
    "setting, and who else looked at your data. Keep it somewhere safe: it contains health "
    "data. Answers that were erased can no longer be read by anyone, so they are not in it."
)


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _role_label(value: str) -> str:
    return str(RoleCategory(value).label) if value in RoleCategory.values else value


def _instrument(code: str, version: str) -> Instrument | None:
    try:
        return get_instrument(code, version)
    except UnknownInstrument:
        # A version no longer shipped: the stored values are still exported.
        return None


def _answers(instrument: Instrument | None, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Return each answer with the question's text and the chosen option's label."""
    if instrument is None:
        return [{"item": item_id, "value": value} for item_id, value in sorted(answers.items())]
    shown = []
    for number, item in enumerate(instrument.items, start=1):
        value = answers.get(item.id)
        option = next((o for o in item.options if o.value == value), None)
        shown.append(
            {
                "item": item.id,
                "number": number,
                "question": item.text,
                "value": value,
                "answer": option.label if option is not None else None,
            }
        )
    return shown


def _enrolment(participant: Participant) -> dict[str, Any]:
    return {
        "token": participant.token,
        "organisation": participant.organisation.name,
        "unit": participant.unit.name,
        "shift_type": participant.shift_type.name,
        "role_category": _role_label(participant.role_category),
        "enrolled_on": _day(participant.enrolled_on),
    }


def _consent_records(participant: Participant) -> list[ConsentRecord]:
    """Return the participant's decisions, oldest first (the order they were made in)."""
    return list(
        ConsentRecord.objects.filter(participant=participant)
        .select_related("notice", "participant")
        .order_by("sequence")
    )


def _latest_version(code: str) -> str:
    """Return the version a draft is answered against: drafts always use the latest."""
    try:
        return get_instrument(code).version
    except UnknownInstrument:
        return ""


def _checkins(participant: Participant) -> list[dict[str, Any]]:
    rows = (
        CheckIn.objects.filter(participant=participant)
        .select_related("schedule")
        .order_by("period_start", "started_on")
    )
    listed = []
    for checkin in rows:
        entry: dict[str, Any] = {
            "id": str(checkin.pk),
            "check_in": checkin.schedule.name,
            "period_start": _day(checkin.period_start),
            "status": checkin.get_status_display(),
            "started_on": _day(checkin.started_on),
            "submitted_on": _day(checkin.submitted_on),
        }
        draft = read_draft(checkin)
        if draft:
            # Answers saved in a check-in not yet submitted are kept too (for 7 days).
            entry["unfinished_answers"] = {
                code: _answers(_instrument(code, _latest_version(code)), answers)
                for code, answers in sorted(draft.items())
            }
        listed.append(entry)
    return listed


def _responses(participant: Participant) -> list[dict[str, Any]]:
    rows = (
        Response.objects.filter(participant=participant)
        .select_related("checkin__schedule", "unit", "shift_type")
        .order_by("submitted_on", "checkin__period_start", "instrument")
    )
    listed = []
    for response in rows:
        entry: dict[str, Any] = {
            "id": str(response.pk),
            "check_in": str(response.checkin_id),
            "instrument": response.instrument,
            "instrument_version": response.instrument_version,
            "submitted_on": _day(response.submitted_on),
            "unit": response.unit.name,
            "shift_type": response.shift_type.name,
            "role_category": _role_label(response.role_category),
        }
        payload = decode_payload(response)
        if payload is None:
            entry["erased"] = True
            listed.append(entry)
            continue
        instrument = _instrument(response.instrument, response.instrument_version)
        if instrument is not None:
            entry["instrument_title"] = instrument.title
        entry.update(
            {
                "answers": _answers(instrument, dict(payload.get("answers") or {})),
                "total": payload.get("total"),
                "raw_total": payload.get("raw"),
                "prorated": payload.get("prorated"),
                "band": payload.get("band"),
                "band_label": payload.get("band_label"),
                "safety_signal": payload.get("safety"),
                "suggestions": payload.get("suggestions") or [],
            }
        )
        listed.append(entry)
    return listed


def _safety_alerts(participant: Participant) -> list[dict[str, Any]]:
    rows = (
        SafetyAlert.objects.filter(participant=participant)
        .select_related("response")
        .order_by("raised_on")
    )
    return [
        {
            "raised_on": _day(alert.raised_on),
            "response": str(alert.response_id),
            "instrument": alert.response.instrument,
        }
        for alert in rows
    ]


def _reminders(participant: Participant) -> dict[str, Any]:
    opt_out = ReminderOptOut.objects.filter(participant=participant).first()
    sent = (
        ReminderSent.objects.filter(participant=participant)
        .select_related("schedule")
        .order_by("period_start")
    )
    return {
        "reminder_emails": "off" if opt_out is not None else "on",
        "turned_off_on": _day(opt_out.created_on) if opt_out is not None else None,
        "sent": [{"check_in": r.schedule.name, "period_start": _day(r.period_start)} for r in sent],
    }


def _access_log(participant: Participant) -> list[dict[str, Any]]:
    return [
        {
            "when": entry.when.isoformat() if isinstance(entry.when, dt.datetime) else None,
            "what": entry.what,
            "by": entry.by,
            "role": entry.role,
            "purpose": entry.purpose,
            "outcome": entry.outcome,
        }
        for entry in access_by_others(participant)
    ]


def export_json(participant: Participant) -> dict[str, Any]:
    """Return everything kept about the participant as JSON-ready data."""
    records = _consent_records(participant)
    return {
        "about": ABOUT,
        "format": FORMAT,
        "generated_at": clock.now().astimezone(dt.UTC).isoformat(),
        "enrolment": _enrolment(participant),
        "consents": [consent_receipt(record) for record in records],
        "check_ins": _checkins(participant),
        "responses": _responses(participant),
        "safety_alerts": _safety_alerts(participant),
        "follow_up": followup_export(participant),
        "reminders": _reminders(participant),
        "access_by_others": _access_log(participant),
    }


def _subject(participant: Participant) -> dict[str, Any]:
    return {"identifier": {"system": TOKEN_SYSTEM, "value": participant.token}}


def _answer_coding(instrument: Instrument, item_id: str, value: int) -> dict[str, Any] | None:
    try:
        item = instrument.item(item_id)
    except KeyError:
        return None
    option = next((o for o in item.options if o.value == value), None)
    if option is None:
        return None
    # The same coding as the Questionnaire's answer option: LOINC where it has
    # a code, the instrument's own answer system otherwise, with the score
    # the option carries.
    coding: dict[str, Any] = {
        "extension": [{"url": ITEM_WEIGHT, "valueDecimal": Decimal(option.value)}],
        "display": option.label,
    }
    if option.loinc:
        coding.update({"system": LOINC, "code": option.loinc})
    else:
        coding.update({"system": answer_system(instrument), "code": str(option.value)})
    return coding


def _questionnaire_response(
    participant: Participant, response: Response, payload: dict[str, Any]
) -> dict[str, Any] | None:
    instrument = _instrument(response.instrument, response.instrument_version)
    if instrument is None:
        return None
    answers = dict(payload.get("answers") or {})
    items = []
    for item in instrument.items:
        if item.id not in answers:
            continue
        coding = _answer_coding(instrument, item.id, answers[item.id])
        if coding is None:
            continue
        items.append({"linkId": item.id, "text": item.text, "answer": [{"valueCoding": coding}]})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.pk),
        "questionnaire": f"{BASE_URL}/Questionnaire/{instrument.code}|{instrument.version}",
        "status": "completed",
        "subject": _subject(participant),
        # Wellkept keeps the day of a check-in, never the time: a date is a valid dateTime.
        "authored": response.submitted_on.isoformat(),
        "item": items,
    }
    # The total is not a question of the Questionnaire, so it travels as an
    # extension rather than an item no Questionnaire item would match.
    extensions = []
    if isinstance(payload.get("total"), int):
        extensions.append({"url": TOTAL_SCORE, "valueInteger": payload["total"]})
    if payload.get("band"):
        extensions.append(
            {
                "url": SCORE_BAND,
                "valueCoding": {
                    "system": f"{BASE_URL}/CodeSystem/{instrument.code}-bands",
                    "code": str(payload["band"]),
                    "display": str(payload.get("band_label") or payload["band"]),
                },
            }
        )
    if extensions:
        resource["extension"] = extensions
    return resource


def export_fhir_bundle(participant: Participant) -> dict[str, Any]:
    """Return the participant's answers and consents as a validated FHIR R5 Bundle (collection)."""
    # Imported here: the FHIR models are slow to import, and only exports need them.
    from fhir.resources.bundle import Bundle

    entries: list[dict[str, Any]] = []
    rows = Response.objects.filter(participant=participant).order_by(
        "submitted_on", "checkin__period_start", "instrument"
    )
    for response in rows:
        payload = decode_payload(response)
        if payload is None:
            continue  # erased: nothing left to export
        resource = _questionnaire_response(participant, response, payload)
        if resource is not None:
            entries.append({"fullUrl": f"urn:uuid:{response.pk}", "resource": resource})
    records = _consent_records(participant)
    for record, following in zip(records, [*records[1:], None], strict=True):
        consent = consent_fhir(
            record, superseded_at=following.recorded_at if following is not None else None
        )
        entries.append({"fullUrl": f"urn:uuid:{record.pk}", "resource": consent})
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": clock.now().astimezone(dt.UTC).isoformat(),
            "entry": entries,
        }
    )
    exported: dict[str, Any] = bundle.model_dump(mode="json", exclude_none=True)
    return exported


@dataclass(frozen=True)
class ExportFormat:
    """One way to hand a person's data over: how it is built, named and labelled."""

    build: Callable[[Participant], dict[str, Any]]
    suffix: str
    content_type: str


# The participant's own downloads and a privacy officer's answer to an
# outside request offer the same two, so that both get the same content.
FORMATS: dict[str, ExportFormat] = {
    "json": ExportFormat(export_json, ".json", "application/json; charset=utf-8"),
    "fhir": ExportFormat(export_fhir_bundle, ".fhir.json", "application/fhir+json; charset=utf-8"),
}
