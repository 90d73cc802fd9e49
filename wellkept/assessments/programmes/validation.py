"""Checks on what an administrator types: each failure is one plain sentence saying what to do."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.utils.text import slugify

from wellkept.assessments.instruments import instruments as shipped_instruments
from wellkept.assessments.models import Frequency, SupportKind
from wellkept.orgs.models import Organisation, Unit

PROGRAMME_NAME_MAX = 200
WELCOME_MAX = 3000
SCHEDULE_NAME_MAX = 100
SCHEDULE_SLUG_MAX = 40
RESOURCE_NAME_MAX = 200
CONTACT_MAX = 200
DESCRIPTION_MAX = 1000

# A contact is shown to clinicians and may become a link; these schemes
# would run code or smuggle content instead of reaching a person.
UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:", "file:")


def clean_text(value: str, *, what: str, maximum: int, required: bool = True) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValidationError(f"Give the {what}.", code="required")
    if len(text) > maximum:
        raise ValidationError(
            f"The {what} is {len(text)} characters long; shorten it to {maximum} or fewer.",
            code="max_length",
        )
    return text


def clean_paragraphs(value: str, *, what: str, maximum: int) -> str:
    """Trim free text but keep its line breaks: the welcome is read as paragraphs."""
    lines = [" ".join(line.split()) for line in str(value or "").strip().splitlines()]
    text = "\n".join(lines).strip()
    if len(text) > maximum:
        raise ValidationError(
            f"The {what} is {len(text)} characters long; shorten it to {maximum} or fewer.",
            code="max_length",
        )
    return text


def clean_units(organisation: Organisation, units: Iterable[Unit]) -> list[Unit]:
    chosen = list(dict.fromkeys(units))
    if any(unit.organisation_id != organisation.pk for unit in chosen):
        # The foreign unit is not named: its name belongs to another organisation.
        raise ValidationError(
            f"One of the chosen units belongs to another organisation. Choose units of "
            f"{organisation.name} only.",
            code="foreign_unit",
        )
    return chosen


def clean_frequency(frequency: Frequency | str) -> Frequency:
    try:
        return Frequency(frequency)
    except ValueError:
        raise ValidationError(
            f"{frequency!r} is not a check-in frequency. Use one of: "
            f"{', '.join(Frequency.values)}.",
            code="invalid_frequency",
        ) from None


def clean_instruments(codes: Sequence[str]) -> list[str]:
    """Return the codes in the order given, after checking each is a shipped instrument once."""
    codes = [str(code).strip() for code in codes if str(code).strip()]
    if not codes:
        raise ValidationError(
            "Choose at least one questionnaire for this check-in.", code="no_instruments"
        )
    catalogue = shipped_instruments()
    for code in codes:
        if code not in catalogue:
            raise ValidationError(
                f"{code!r} is not one of the shipped questionnaires. Choose from: "
                f"{', '.join(sorted(catalogue))}.",
                code="unknown_instrument",
            )
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValidationError(
                f"{catalogue[code].short_title} is chosen twice; ask each questionnaire once.",
                code="duplicate_instrument",
            )
        seen.add(code)
    return codes


def clean_schedule_slug(slug: str | None, *, name: str) -> str:
    value = slugify(name)[:SCHEDULE_SLUG_MAX].strip("-") if slug is None else slug.strip()
    if not value:
        raise ValidationError(
            f"A short identifier cannot be made from {name!r}: give the check-in a name with "
            "some letters or digits.",
            code="invalid_slug",
        )
    try:
        validate_slug(value)
    except ValidationError:
        raise ValidationError(
            f"{value!r} is not a valid identifier: use only letters, digits, hyphens and "
            "underscores.",
            code="invalid_slug",
        ) from None
    if len(value) > SCHEDULE_SLUG_MAX:
        raise ValidationError(
            f"The identifier {value!r} is too long; use {SCHEDULE_SLUG_MAX} characters or fewer.",
            code="max_length",
        )
    return value


def clean_kind(kind: SupportKind | str) -> SupportKind:
    try:
        return SupportKind(kind)
    except ValueError:
        raise ValidationError(
            f"{kind!r} is not a kind of support resource. Use one of: "
            f"{', '.join(SupportKind.values)}.",
            code="invalid_kind",
        ) from None


def clean_contact(contact: str) -> str:
    value = clean_text(
        contact, what="contact (a phone number, an address or a web link)", maximum=CONTACT_MAX
    )
    lowered = value.lower()
    if lowered.startswith(UNSAFE_SCHEMES):
        raise ValidationError(
            "Give a phone number, an e-mail address or a web link starting with https://.",
            code="unsafe_contact",
        )
    if lowered.startswith(("http://", "https://")):
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise ValidationError(
                "This web link is not valid. Copy it from the browser's address bar, starting "
                "with https://.",
                code="invalid_link",
            ) from None
    return value
