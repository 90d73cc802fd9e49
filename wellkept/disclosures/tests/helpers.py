"""Shared pieces of the release-of-information tests: an authorisation to a GP, a disclosure."""

from __future__ import annotations

import base64
import datetime as dt
import json

from wellkept import clock
from wellkept.disclosures import services
from wellkept.disclosures.models import Authorisation, AuthorisationKind
from wellkept.practice.tests.conftest import ADA_LEGAL, Practice

GP = services.Recipient(
    name="Dr Gwen Quillcanary",
    organisation="Riverside Surgery",
    address="gp.quillcanary@example.invalid",
)
PURPOSE = "Continuity of care with the client's GP (Purposecanary)."


def today() -> dt.date:
    return clock.now().astimezone(dt.UTC).date()


def authorise(
    practice: Practice,
    *,
    kind: str = AuthorisationKind.RECORDS,
    categories: tuple[str, ...] = ("demographics", "progress_notes", "diagnoses"),
    expires_in: int = 90,
) -> Authorisation:
    return services.authorisation_sign(
        actor=practice.people["tess"],
        client=practice.clients["ada"],
        kind=kind,
        categories=categories,
        records_from=today() - dt.timedelta(days=365),
        records_to=today(),
        expires_on=today() + dt.timedelta(days=expires_in),
        recipient=GP,
        purpose=PURPOSE,
        signed_name=ADA_LEGAL.lower(),
    )


def disclose(
    practice: Practice,
    authorisation: Authorisation | None,
    categories: tuple[str, ...] = ("demographics", "progress_notes"),
    **more: object,
) -> services.IssuedDisclosure:
    values: dict[str, object] = {
        "actor": practice.people["tess"],
        "client": practice.clients["ada"],
        "categories": categories,
        "records_from": today() - dt.timedelta(days=30),
        "records_to": today(),
        "authorisation": authorisation,
    }
    values.update(more)
    return services.disclosure_make(**values)  # type: ignore[arg-type]


def _attachments(value: object) -> list[bytes]:
    """Every base64 attachment's bytes in a FHIR document, decoded as the recipient would."""
    if isinstance(value, dict):
        data = value.get("data")
        found = [base64.b64decode(data)] if isinstance(data, str) else []
        return found + [b for v in value.values() for b in _attachments(v)]
    if isinstance(value, list):
        return [b for v in value for b in _attachments(v)]
    return []


def readable(files: dict[str, bytes]) -> bytes:
    """What the recipient reads in a package: every file, its FHIR attachments decoded."""
    decoded = [
        b
        for name, data in files.items()
        if name.endswith(".json")
        for b in _attachments(json.loads(data))
    ]
    return b"\n".join([*files.values(), *decoded])
