"""Forms of the privacy officer's retention, hold and data-subject request pages.

Forms only parse and give clear messages; the lawful bounds are checked
again by the services and by the database.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from wellkept.lifecycle.models import DataCategory, SubjectRequestKind
from wellkept.lifecycle.services import HOLD_REASON_MAX, validate_months
from wellkept.lifecycle.subject_requests import (
    EMAIL_MAX,
    REASON_MAX,
    clean_email,
    clean_reason,
    parse_reference,
)


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
    client = forms.CharField(
        label="Client code (practice)",
        required=False,
        max_length=16,
        help_text="Or, for a hold on a client's whole record at the practice, their code "
        "(e.g. C-7K3Q9).",
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
        client = (data.get("client") or "").strip()
        given = sum(1 for value in (token, case, client) if value)
        if not given:
            raise ValidationError(
                "Give a participant's code number, a case reference or a client code."
            )
        if given > 1:
            raise ValidationError(
                "Give only one of a participant's code number, a case reference or a client code."
            )
        if case and parse_reference(case) is None:
            self.add_error("case", "A case reference looks like 3f2b5c1e-... (a UUID).")
        return data


class LiftForm(forms.Form):
    reason = forms.CharField(
        label="Why the hold ends",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=HOLD_REASON_MAX,
        error_messages={"required": "Write why the hold is no longer needed."},
    )


class SubjectRequestForm(forms.Form):
    email = forms.CharField(
        label="The person's e-mail address, as written in their letter",
        max_length=EMAIL_MAX,
        help_text="Used once to find them and never stored.",
        error_messages={
            "required": "Give the e-mail address the person wrote from.",
            "max_length": "An e-mail address has at most 254 characters.",
        },
    )
    kind = forms.ChoiceField(
        label="What they ask for",
        choices=SubjectRequestKind.choices,
        error_messages={
            "required": "Choose the kind of request: access, portability or erasure.",
            "invalid_choice": "Choose the kind of request: access, portability or erasure.",
        },
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX,
        help_text="What the person asked for and how their letter reached you; stored encrypted.",
        error_messages={"required": "Write the reason for the request."},
    )

    def clean_email(self) -> str:
        return clean_email(self.cleaned_data["email"])

    def clean_reason(self) -> str:
        return clean_reason(self.cleaned_data["reason"])


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        required=True,
        error_messages={"required": "Tick the box to confirm the erasure."},
    )
    close_account = forms.BooleanField(
        required=False,
        label="Also close their sign-in account (participant-only accounts)",
    )
