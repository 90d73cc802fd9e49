"""Forms of the privacy officer's retention, hold and data-subject request pages.

Forms only parse and give clear messages; the lawful bounds are checked
again by the services and by the database.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from wellkept.lifecycle.models import DataCategory
from wellkept.lifecycle.services import HOLD_REASON_MAX, validate_months
from wellkept.lifecycle.subject_requests import parse_grant_reference


class RetentionForm(forms.Form):
    category = forms.ChoiceField(choices=DataCategory.choices)
    months = forms.IntegerField(
        label="Months",
        error_messages={
            "required": "Give the number of months.",
            "invalid": "Give the number of months as a whole number, e.g. 12.",
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "category" in data and "months" in data:
            try:
                validate_months(data["category"], data["months"])
            except ValidationError as exc:
                self.add_error("months", exc)
        return data


class HoldForm(forms.Form):
    token = forms.CharField(
        label="Participant's code number (token)",
        required=False,
        max_length=64,
        help_text="For a hold on everything about one participant.",
    )
    case = forms.CharField(
        label="Follow-up case reference",
        required=False,
        max_length=64,
        help_text="Or, for a hold on one case only, the case's reference (a UUID).",
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=HOLD_REASON_MAX,
        error_messages={"required": "Write why the data must be kept."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        token, case = (data.get("token") or "").strip(), (data.get("case") or "").strip()
        if not token and not case:
            raise ValidationError("Give a participant's code number or a case reference.")
        if token and case:
            raise ValidationError(
                "Give either a participant's code number or a case reference, not both."
            )
        if case and parse_grant_reference(case) is None:
            self.add_error("case", "A case reference looks like 3f2b5c1e-... (a UUID).")
        return data


class LiftForm(forms.Form):
    reason = forms.CharField(
        label="Why the hold ends",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=HOLD_REASON_MAX,
        error_messages={"required": "Write why the hold is no longer needed."},
    )


class GrantForm(forms.Form):
    grant = forms.CharField(
        label="Re-identification grant reference",
        max_length=64,
        help_text="The approved, unexpired grant that names the person who asked (a UUID).",
        error_messages={"required": "Give the grant's reference."},
    )

    def clean_grant(self) -> str:
        value = str(self.cleaned_data["grant"]).strip()
        if parse_grant_reference(value) is None:
            raise ValidationError(
                "A grant reference looks like 3f2b5c1e-...: copy it from the grant's page."
            )
        return value


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        required=True,
        error_messages={"required": "Tick the box to confirm the erasure."},
    )
    close_account = forms.BooleanField(
        required=False,
        label="Also close their sign-in account (participant-only accounts)",
    )
