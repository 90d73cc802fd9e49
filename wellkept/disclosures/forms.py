"""Release-of-information forms: they parse and say what is wrong; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from wellkept.disclosures.models import (
    CATEGORY_LABELS,
    PSYCHOTHERAPY_NOTES,
    Authorisation,
    AuthorisationKind,
    Category,
    LegalBasis,
    LegalBasisKind,
)
from wellkept.disclosures.services import REASON_MIN, TEXT_MAX
from wellkept.practice.forms import ServiceForm


def _date(label: str, help_text: str = "As YYYY-MM-DD.") -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": f"Enter the {label.lower()}.",
            "invalid": f"Enter the {label.lower()} as YYYY-MM-DD.",
        },
    )


def _text(label: str, *, required: bool = True, textarea: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}) if textarea else forms.TextInput,
        error_messages={
            "required": f"Enter the {label.lower()}.",
            "max_length": f"Keep the {label.lower()} under {TEXT_MAX} characters.",
        },
    )


class RecipientFields(ServiceForm):
    recipient_name = _text("Recipient's name")
    recipient_organisation = _text("Recipient's organisation", required=False)
    recipient_address = _text("Recipient's address or e-mail", textarea=True)


class AuthorisationForm(RecipientFields):
    """The authorisation, filled in with the client and signed by them on this device."""

    kind = forms.ChoiceField(
        label="Kind",
        choices=AuthorisationKind.choices,
        widget=forms.RadioSelect,
        help_text="Psychotherapy notes need an authorisation of their own, covering them alone.",
        error_messages={"required": "Choose the kind of authorisation."},
    )
    categories = forms.MultipleChoiceField(
        label="What may be released",
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For a release of records. Leave empty for psychotherapy notes.",
    )
    records_from = _date("Records from")
    records_to = _date("Records to")
    purpose = _text("Purpose of the release", textarea=True)
    expires_on = _date("Expires on", "The last day it holds, as YYYY-MM-DD. Required.")
    signed_name = _text("Client's signature: their legal name, typed by them")
    read_by_client = forms.BooleanField(
        label="The client has read this authorisation and signs it now.",
        error_messages={"required": "The client must read the authorisation before signing."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        chosen = data.get("categories") or []
        if kind == AuthorisationKind.PSYCHOTHERAPY_NOTES and chosen:
            self.add_error(
                "categories",
                "An authorisation for psychotherapy notes covers them alone: untick the other "
                "categories, and record them in a separate authorisation.",
            )
        if kind == AuthorisationKind.RECORDS and not chosen:
            self.add_error("categories", "Choose at least one category of records.")
        start, end = data.get("records_from"), data.get("records_to")
        if start and end and end < start:
            self.add_error("records_to", "The end of the date range is before its start.")
        return data

    def categories_chosen(self) -> list[str]:
        if self.cleaned_data["kind"] == AuthorisationKind.PSYCHOTHERAPY_NOTES:
            return [PSYCHOTHERAPY_NOTES]
        return list(self.cleaned_data["categories"])


class RevokeForm(ServiceForm):
    reason = forms.CharField(
        label="The client's written request",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_MAX,
        help_text=f"At least {REASON_MIN} characters: when and how the client asked.",
        error_messages={"required": "Write how the client asked to revoke it."},
    )


class LegalBasisForm(ServiceForm):
    kind = forms.ChoiceField(
        label="Legal basis",
        choices=LegalBasisKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the legal basis."},
    )
    reference = _text("Reference (order or report number)")
    reason = forms.CharField(
        label="Why the law requires this disclosure",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_MAX,
        help_text=f"At least {REASON_MIN} characters. The privacy officer is alerted.",
        error_messages={"required": "Write why the law requires this disclosure."},
    )


def _basis_label(a: Authorisation) -> str:
    what = ", ".join(CATEGORY_LABELS[c] for c in a.category_list())
    return f"Authorisation to {a.recipient_name}: {what} (until {a.expires_on:%Y-%m-%d})"


class DisclosureForm(RecipientFields):
    """A disclosure under one of the client's current authorisations or a legal basis."""

    basis = forms.ChoiceField(
        label="Released under",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the authorisation or legal basis this disclosure rests on.",
            "invalid_choice": "Choose one of the current authorisations or legal bases.",
        },
    )
    categories = forms.MultipleChoiceField(
        label="What to release",
        choices=list(CATEGORY_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one category to release."},
    )
    records_from = _date("Records from")
    records_to = _date("Records to")

    def __init__(
        self,
        *args: Any,
        authorisations: list[Authorisation],
        legal_bases: list[LegalBasis],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.authorisations = {str(a.pk): a for a in authorisations}
        self.legal_bases = {str(b.pk): b for b in legal_bases}
        basis = self.fields["basis"]
        assert isinstance(basis, forms.ChoiceField)  # noqa: S101 (narrows the type for mypy)
        basis.choices = [
            *((f"a:{pk}", _basis_label(a)) for pk, a in self.authorisations.items()),
            *(
                (f"b:{pk}", f"{b.get_kind_display()} {b.reference} ({b.recorded_at:%Y-%m-%d})")
                for pk, b in self.legal_bases.items()
            ),
        ]
        # Filled from the authorisation when one is chosen.
        for name in ("recipient_name", "recipient_address"):
            self.fields[name].required = False
        self.fields["recipient_name"].help_text = "Only under a legal basis."

    def chosen_basis(self) -> tuple[Authorisation | None, LegalBasis | None]:
        kind, _, pk = self.cleaned_data["basis"].partition(":")
        if kind == "a":
            return self.authorisations[pk], None
        return None, self.legal_bases[pk]
