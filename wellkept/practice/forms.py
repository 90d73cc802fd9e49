"""The practice's forms: intake (new client and changes), assignment, name search.

Forms parse and say what is wrong in plain words; the services check the
same rules again (a command or another page may call them) and decide.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from wellkept import clock
from wellkept.assessments.forms import instrument_form_class
from wellkept.assessments.instruments import Instrument
from wellkept.practice.models import (
    CODE_LENGTH,
    MAX_EVERY_WEEKS,
    AdjustmentReason,
    AppointmentStatus,
    CaseKind,
    ContactChannel,
    DischargeReason,
    DocumentKind,
    PaymentMethod,
    Recurrence,
)
from wellkept.practice.services import (
    GuardianDetails,
    Intake,
    Slot,
    check_content,
    parse_money,
    parse_outline,
)
from wellkept.practice.services.breakglass import REASON_MAX as BREAKGLASS_REASON_MAX
from wellkept.practice.services.breakglass import REASON_MIN as BREAKGLASS_REASON_MIN

TEXT_MAX = 200


def _text(label: str, *, required: bool = False, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX,
        help_text=help_text,
        error_messages={
            "required": f"Enter the {label.lower()}.",
            "max_length": f"Keep the {label.lower()} under {TEXT_MAX} characters.",
        },
    )


class ServiceForm(forms.Form):
    """A form whose data a service checks again: its refusals show beside the fields."""

    def field_for(self, name: str) -> str:
        """The form's field for a name the service's ValidationError uses."""
        return name

    def add_service_errors(self, errors: Any) -> None:
        """Show a service's ValidationError beside the fields it names, else at the top."""
        if hasattr(errors, "error_dict"):
            for name, messages in errors.message_dict.items():
                field = self.field_for(name)
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, errors.messages)


class IntakeForm(ServiceForm):
    """A client's intake details; guardian fields are needed for a client under 18."""

    legal_name = _text("Legal name", required=True)
    preferred_name = _text("Preferred name", help_text="What the client likes to be called.")
    pronouns = _text("Pronouns")
    date_of_birth = forms.DateField(
        label="Date of birth",
        help_text="As YYYY-MM-DD.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the date of birth.",
            "invalid": "Enter the date of birth as YYYY-MM-DD.",
        },
    )
    email = forms.EmailField(
        label="E-mail",
        required=False,
        max_length=TEXT_MAX,
        error_messages={"invalid": "Enter a valid e-mail address, like name@example.org."},
    )
    phone = forms.RegexField(
        label="Phone",
        required=False,
        max_length=40,
        regex=r"^\+?[0-9 ()./-]{5,40}$",
        error_messages={"invalid": "Enter a phone number: digits, spaces and + ( ) - only."},
    )
    contact_channels = forms.MultipleChoiceField(
        label="The client may be contacted by",
        required=False,
        choices=ContactChannel.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose contact channels from the list."},
    )
    voicemail_ok = forms.BooleanField(label="A voicemail may be left", required=False)
    emergency_name = _text("Emergency contact's name")
    emergency_relation = _text("Emergency contact's relation to the client")
    emergency_phone = _text("Emergency contact's phone")
    referral_source = _text("Referred by")
    insurance_payer = _text("Insurance payer")
    insurance_member_id = _text("Insurance member id")
    guardian_name = _text("Guardian's name", help_text="Needed for a client under 18.")
    guardian_relation = _text("Guardian's relation to the client")
    guardian_phone = _text("Guardian's phone")
    guardian_email = forms.EmailField(
        label="Guardian's e-mail",
        required=False,
        max_length=TEXT_MAX,
        error_messages={"invalid": "Enter a valid e-mail address for the guardian."},
    )

    GUARDIAN_FIELDS = ("guardian_name", "guardian_relation", "guardian_phone", "guardian_email")

    def clean_date_of_birth(self) -> dt.date:
        value: dt.date = self.cleaned_data["date_of_birth"]
        if value.year < 1850:
            raise forms.ValidationError("Check the date of birth: the year looks wrong.")
        return value

    def intake(self) -> Intake:
        data = self.cleaned_data
        return Intake(
            legal_name=data["legal_name"],
            date_of_birth=data["date_of_birth"],
            preferred_name=data["preferred_name"],
            pronouns=data["pronouns"],
            email=data["email"],
            phone=data["phone"],
            contact_channels=tuple(data["contact_channels"]),
            voicemail_ok=data["voicemail_ok"],
            emergency_name=data["emergency_name"],
            emergency_relation=data["emergency_relation"],
            emergency_phone=data["emergency_phone"],
            referral_source=data["referral_source"],
            insurance_payer=data["insurance_payer"],
            insurance_member_id=data["insurance_member_id"],
        )

    def guardian(self) -> GuardianDetails | None:
        """The guardian entered, or None when every guardian field was left empty."""
        data = self.cleaned_data
        if not any(data.get(name) for name in self.GUARDIAN_FIELDS):
            return None
        return GuardianDetails(
            name=data["guardian_name"],
            relation=data["guardian_relation"],
            phone=data["guardian_phone"],
            email=data["guardian_email"],
        )

    @staticmethod
    def initial_for(client: Any) -> dict[str, Any]:
        """The form's starting values from a client read through the policy."""
        initial: dict[str, Any] = {
            name: value if isinstance(value := getattr(client, name), str) else ""
            for name in (
                "legal_name",
                "preferred_name",
                "pronouns",
                "email",
                "phone",
                "emergency_name",
                "emergency_relation",
                "emergency_phone",
                "referral_source",
                "insurance_payer",
                "insurance_member_id",
            )
        }
        born = client.date_of_birth
        initial["date_of_birth"] = born if isinstance(born, str) else ""
        channels = client.contact_channels
        initial["contact_channels"] = channels.split(",") if isinstance(channels, str) else []
        initial["voicemail_ok"] = client.voicemail_ok == "yes"
        return initial


class AssignForm(forms.Form):
    therapist = forms.ChoiceField(
        label="Therapist",
        error_messages={
            "required": "Choose a therapist.",
            "invalid_choice": "Choose a therapist of this practice.",
        },
    )

    def __init__(self, *args: Any, therapists: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer(self, therapist=therapists)


class SearchForm(forms.Form):
    q = forms.CharField(label="Name", required=False, max_length=TEXT_MAX)


# ---- Notes (issue 18, part 3) ---------------------------------------------------------

NOTE_SECTION_MAX = 20_000


class NoteForm(ServiceForm):
    """A progress note: the session date, one field per template section, and codes."""

    service_date = forms.DateField(
        label="Session date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the session date.",
            "invalid": "Enter the session date as YYYY-MM-DD.",
        },
    )
    diagnosis_codes = forms.CharField(
        label="Diagnoses (ICD-10-CM)",
        required=False,
        max_length=200,
        help_text="Billable codes, separated by commas, like F43.10.",
        error_messages={"max_length": "Keep the diagnoses under 200 characters."},
    )

    def __init__(
        self,
        *args: Any,
        template: Any,
        service_codes: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        self.section_ids = [s.id for s in template.sections]
        for section in template.sections:
            self.fields[f"section_{section.id}"] = forms.CharField(
                label=section.label,
                help_text=section.help + ("" if section.required else " (optional)"),
                required=False,
                max_length=NOTE_SECTION_MAX,
                widget=forms.Textarea(attrs={"rows": 5}),
                error_messages={
                    "max_length": f"Keep {section.label} under {NOTE_SECTION_MAX} characters."
                },
            )
        self.fields["service_codes"] = forms.MultipleChoiceField(
            label="Services (CPT)",
            required=False,
            choices=service_codes,
            widget=forms.CheckboxSelectMultiple,
            error_messages={"invalid_choice": "Choose from the practice's service codes."},
        )

    def section_fields(self) -> list[Any]:
        return [self[f"section_{sid}"] for sid in self.section_ids]

    def sections(self) -> dict[str, str]:
        return {sid: self.cleaned_data[f"section_{sid}"] for sid in self.section_ids}

    def diagnoses(self) -> list[str]:
        return [c for c in self.cleaned_data["diagnosis_codes"].split(",") if c.strip()]

    def field_for(self, name: str) -> str:
        # A template section's errors are named by the section.
        return name if name in self.fields else f"section_{name}"


class AddendumForm(forms.Form):
    body = forms.CharField(
        label="Addendum",
        max_length=NOTE_SECTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Write the addendum.",
            "max_length": f"Keep the addendum under {NOTE_SECTION_MAX} characters.",
        },
    )


class PsychotherapyNoteForm(forms.Form):
    body = forms.CharField(
        label="Psychotherapy note",
        max_length=NOTE_SECTION_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Kept apart from the record, readable by you alone.",
        error_messages={
            "required": "Write the note.",
            "max_length": f"Keep the note under {NOTE_SECTION_MAX} characters.",
        },
    )


# ---- Schedule (issue 18, part 2) -------------------------------------------------------

VIDEO = "video"
SLOT_YEARS = 2


def offer(form: forms.Form, **choices: list[tuple[str, str]]) -> None:
    """Give the form's choice fields, by name, the choices the page looked up."""
    for name, offered in choices.items():
        field = form.fields[name]
        if isinstance(field, forms.ChoiceField):
            field.choices = offered


def _choice(label: str, invalid: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, error_messages={"required": invalid, "invalid_choice": invalid}
    )


class SlotForm(ServiceForm):
    """When and where, in the practice's time zone; the choices come from the page."""

    date = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the date.",
            "invalid": "Enter the date as YYYY-MM-DD.",
        },
    )
    time = forms.TimeField(
        label="Start time",
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"required": "Enter the start time.", "invalid": "Enter the time as HH:MM."},
    )
    minutes = forms.IntegerField(
        label="Length in minutes",
        initial=50,
        min_value=5,
        max_value=480,
        error_messages={
            "required": "Enter the length in minutes.",
            "invalid": "Enter the length as a whole number of minutes.",
            "min_value": "An appointment lasts at least 5 minutes.",
            "max_value": "An appointment lasts at most 8 hours (480 minutes).",
        },
    )
    place = _choice("Where", "Choose a room, or video.")

    def __init__(self, *args: Any, rooms: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rooms = {str(r.pk): r for r in rooms}
        field = self.fields["place"]
        if isinstance(field, forms.ChoiceField):
            field.choices = [(VIDEO, "Video")] + [(k, r.name) for k, r in self.rooms.items()]

    def clean_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["date"]
        # Also keeps the time arithmetic far from year 9999.
        if abs(value - clock.now().date()) > dt.timedelta(days=SLOT_YEARS * 366):
            raise forms.ValidationError(f"Choose a date within {SLOT_YEARS} years of today.")
        return value

    def slot(self, zone: dt.tzinfo) -> Slot:
        """The chosen slot, as aware datetimes in ``zone``."""
        data = self.cleaned_data
        start = dt.datetime.combine(data["date"], data["time"], tzinfo=zone)
        room = self.rooms.get(data["place"])
        return Slot(
            start=start,
            end=start + dt.timedelta(minutes=data["minutes"]),
            room=room,
            telehealth=room is None,
        )

    def field_for(self, name: str) -> str:
        # The service speaks of start, end and room; the form asks time, length, place.
        return {"start": "time", "end": "minutes", "room": "place"}.get(name, name)


class BookingForm(SlotForm):
    """A new appointment, or the first of a weekly or fortnightly series."""

    client = _choice("Client", "Choose a client.")
    therapist = _choice("Therapist", "Choose a therapist of this practice.")
    repeat = forms.ChoiceField(
        label="Repeat",
        required=False,
        choices=[("", "Does not repeat"), *Recurrence.choices],
        error_messages={"invalid_choice": "Choose weekly, every two weeks, or no repeat."},
    )
    count = forms.IntegerField(
        label="Number of appointments",
        required=False,
        min_value=2,
        max_value=52,
        help_text="For a series: how many, or give a last date instead.",
        error_messages={
            "invalid": "Enter the number of appointments as a whole number.",
            "min_value": "A series has at least 2 appointments.",
            "max_value": "A series has at most 52 appointments.",
        },
    )
    until = forms.DateField(
        label="Last date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the last date as YYYY-MM-DD."},
    )

    field_order = ["client", "therapist", "date", "time", "minutes", "place", "repeat"]

    def __init__(
        self,
        *args: Any,
        clients: list[tuple[str, str]],
        therapists: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        offer(self, client=clients, therapist=therapists)

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("repeat"):
            if (data.get("count") is None) == (data.get("until") is None):
                self.add_error(
                    "count", "For a series, give a number of appointments or a last date."
                )
        elif data.get("count") is not None or data.get("until") is not None:
            self.add_error("repeat", "Choose how the series repeats, or leave the end empty.")
        return data


class MarkForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (s.value, s.label)
            for s in (
                AppointmentStatus.ATTENDED,
                AppointmentStatus.LATE_CANCELLED,
                AppointmentStatus.NO_SHOW,
            )
        ],
        error_messages={
            "required": "Choose attended, late cancellation or did not attend.",
            "invalid_choice": "Choose attended, late cancellation or did not attend.",
        },
    )


# ---- Treatment plans (issue 18, part 4) --------------------------------------------------

PLAN_OUTLINE_MAX = 40_000


class PlanForm(ServiceForm):
    """A treatment plan version, written as an outline of keyword lines, and its review date."""

    content = forms.CharField(
        label="Plan",
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
        max_length=PLAN_OUTLINE_MAX,
        help_text=(
            "One item per line: Problem:, then Goal:, then Objective: with its Measure:, "
            "Target: and By: (YYYY-MM-DD), then Intervention: lines."
        ),
        error_messages={
            "required": "Write at least one problem.",
            "max_length": f"Keep the plan under {PLAN_OUTLINE_MAX} characters.",
        },
    )
    review_date = forms.DateField(
        label="Review date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the review date.",
            "invalid": "Enter the review date as YYYY-MM-DD.",
        },
    )

    def clean_content(self) -> list[dict[str, Any]]:
        try:
            problems = parse_outline(self.cleaned_data["content"])
            check_content(problems, signing=False)
        except forms.ValidationError as exc:
            raise forms.ValidationError(" ".join(exc.messages)) from None
        if not problems:
            raise forms.ValidationError("Write at least one problem.")
        return problems


class ClientSignatureForm(ServiceForm):
    """The client's signature, typed by the client in session."""

    typed_name = forms.CharField(
        label="Client's full name",
        max_length=TEXT_MAX,
        help_text="The client types their full name, as it is in their record.",
        error_messages={
            "required": "The client types their full name to sign.",
            "max_length": f"Keep the name under {TEXT_MAX} characters.",
        },
    )
    agreed = forms.BooleanField(
        label="The client has read this version of the plan and agrees to it.",
        error_messages={"required": "Tick the box once the client has read and agreed."},
    )


# ---- Measurement-based care (issue 18, part 4) -------------------------------------------


class MeasureAssignForm(ServiceForm):
    """An instrument for the client, once or every N weeks."""

    instrument = forms.ChoiceField(
        label="Measure",
        choices=(),
        error_messages={
            "required": "Choose a measure.",
            "invalid_choice": "Choose one of the measures in the list.",
        },
    )
    every_weeks = forms.IntegerField(
        label="Repeat every (weeks)",
        required=False,
        min_value=1,
        max_value=MAX_EVERY_WEEKS,
        help_text="Leave empty to ask once.",
        error_messages={
            "invalid": "Enter a whole number of weeks, or leave it empty.",
            "min_value": f"Repeat every 1 to {MAX_EVERY_WEEKS} weeks, or leave it empty.",
            "max_value": f"Repeat every 1 to {MAX_EVERY_WEEKS} weeks, or leave it empty.",
        },
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = choices  # type: ignore[attr-defined]


class MeasureForm(ServiceForm):
    """The day an instrument was answered; ``measure_form_class`` adds the instrument's items."""

    instrument: Instrument
    administered_on = forms.DateField(
        label="Answered on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the day the client answered.",
            "invalid": "Enter the day as YYYY-MM-DD.",
        },
    )

    def answers(self) -> dict[str, int | None]:
        """Item id -> the answer (None for an unscored item left out)."""
        return {item.id: self.cleaned_data.get(item.id) for item in self.instrument.items}


def measure_form_class(instrument: Instrument) -> type[MeasureForm]:
    """The instrument's own form (one radio group per item, from assessments) with the day."""
    items = instrument_form_class(instrument)
    return type(
        f"{instrument.code.title()}MeasureForm", (MeasureForm, items), {"instrument": instrument}
    )


# ---- Discharge (issue 18, part 6) -----------------------------------------------------


class DischargeForm(forms.Form):
    reason_code = forms.ChoiceField(
        label="Why the client's care ends",
        choices=DischargeReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose why the client is discharged.",
            "invalid_choice": "Choose why the client is discharged from the list.",
        },
    )
    confirm = forms.BooleanField(
        label="I confirm: the client's therapists stop working with them today",
        error_messages={"required": "Tick the box to confirm the discharge."},
    )


# ---- Billing (issue 18, part 5) -------------------------------------------------------


class _MoneyField(forms.CharField):
    """An amount typed as "120" or "120.50", cleaned to integer minor units."""

    def __init__(self, label: str) -> None:
        super().__init__(
            label=label,
            max_length=16,
            error_messages={"required": f"Enter the {label.lower()}."},
        )

    def clean(self, value: Any) -> int:
        text = super().clean(value)
        try:
            return parse_money(text)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None


class BillingForm(ServiceForm):
    """The billing forms: a service's refusal shows beside the field it names."""


class FeeForm(BillingForm):
    service_code = forms.ChoiceField(
        label="Service code",
        error_messages={
            "required": "Choose a service code.",
            "invalid_choice": "Choose one of the practice's service codes.",
        },
    )
    amount = _MoneyField("Fee")
    currency = forms.CharField(
        label="Currency",
        initial="USD",
        max_length=3,
        min_length=3,
        error_messages={
            "required": "Enter a three-letter currency code, such as USD.",
            "max_length": "Enter a three-letter currency code, such as USD.",
            "min_length": "Enter a three-letter currency code, such as USD.",
        },
    )
    effective_from = forms.DateField(
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the first day the fee applies.",
            "invalid": "Enter the day as YYYY-MM-DD.",
        },
    )

    def __init__(self, *args: Any, codes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_code"].choices = codes  # type: ignore[attr-defined]


class ChargeForm(BillingForm):
    # Not needed for a late cancellation, which is charged at the late fee.
    service_code = forms.ChoiceField(
        label="Service code",
        required=False,
        error_messages={
            "required": "Choose the service code to charge.",
            "invalid_choice": "Choose one of the practice's service codes.",
        },
    )

    def __init__(self, *args: Any, codes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_code"].choices = codes  # type: ignore[attr-defined]


class PaymentForm(BillingForm):
    amount = _MoneyField("Amount")
    method = forms.ChoiceField(
        label="Method",
        choices=PaymentMethod.choices,
        error_messages={
            "required": "Choose how it was paid.",
            "invalid_choice": "Choose card, cash, bank transfer or insurance.",
        },
    )
    received_on = forms.DateField(
        label="Received on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the day the payment came in.",
            "invalid": "Enter the day as YYYY-MM-DD.",
        },
    )
    reference = forms.CharField(
        label="Reference",
        required=False,
        max_length=80,
        help_text="A card's last four digits, a bank or claim reference. Optional.",
        error_messages={"max_length": "Keep the reference under 80 characters."},
    )


class AdjustmentForm(BillingForm):
    amount = _MoneyField("Amount to take off")
    reason = forms.ChoiceField(
        label="Reason",
        choices=AdjustmentReason.choices,
        error_messages={
            "required": "Choose why the account is adjusted.",
            "invalid_choice": "Choose why the account is adjusted.",
        },
    )


class SuperbillForm(BillingForm):
    start = forms.DateField(
        label="First day",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the first day of service.",
            "invalid": "Enter the day as YYYY-MM-DD.",
        },
    )
    end = forms.DateField(
        label="Last day",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the last day of service.",
            "invalid": "Enter the day as YYYY-MM-DD.",
        },
    )


# ---- Couples and family cases ------------------------------------------------------------


class CaseForm(ServiceForm):
    """A new couple or family case: its kind, its members (by code) and its therapists."""

    kind = forms.ChoiceField(
        label="Kind of case",
        choices=CaseKind.choices,
        error_messages={
            "required": "Choose a couple or a family.",
            "invalid_choice": "Choose a couple or a family.",
        },
    )
    members = forms.MultipleChoiceField(
        label="Members",
        help_text="Clients seen together; each keeps their own record.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose the clients seen together.",
            "invalid_choice": "Choose clients from the list.",
        },
    )
    therapists = forms.MultipleChoiceField(
        label="Therapists",
        help_text="Each must already work with every member.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose the therapists who see them.",
            "invalid_choice": "Choose therapists of this practice.",
        },
    )

    def __init__(
        self,
        *args: Any,
        clients: list[tuple[str, str]],
        therapists: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        offer(self, members=clients, therapists=therapists)


class CaseMemberForm(ServiceForm):
    """A client to add to (or take out of) a case."""

    client = _choice("Client", "Choose a client from the list.")

    def __init__(self, *args: Any, clients: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer(self, client=clients)


class CaseBookingForm(SlotForm):
    """A joint appointment of a case with one of its therapists."""

    therapist = _choice("Therapist", "Choose one of the case's therapists.")

    field_order = ["therapist", "date", "time", "minutes", "place"]

    def __init__(self, *args: Any, therapists: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer(self, therapist=therapists)


# ---- Break-glass on a client's record (issue 18) ------------------------------------


class BreakGlassForm(ServiceForm):
    """Open a client's record in a safety emergency: which client, why, and a confirmation."""

    code = forms.CharField(
        label="Client code",
        max_length=CODE_LENGTH + 4,
        help_text="As on the client's papers or appointment, like C-7KQ2M.",
        error_messages={"required": "Enter the client's code."},
    )
    reason = forms.CharField(
        label="Why this is an emergency",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=BREAKGLASS_REASON_MAX,
        help_text=(
            f"At least {BREAKGLASS_REASON_MIN} characters. The privacy officer reads it when "
            "they review this access."
        ),
        error_messages={"required": "Write why this is an emergency."},
    )
    confirm = forms.BooleanField(
        label=(
            "I confirm this is a safety emergency. I understand that this access is recorded, "
            "the privacy officer is alerted now and reviews it afterwards."
        ),
        error_messages={"required": "Confirm that this is a safety emergency."},
    )


class BreakGlassReviewForm(ServiceForm):
    """A privacy officer's review of a break-glass opening."""

    note = forms.CharField(
        label="Your review",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=BREAKGLASS_REASON_MAX,
        help_text="Was the emergency real and the reading proportionate? What follows from it?",
        error_messages={"required": "Write your review first."},
    )

    def field_for(self, name: str) -> str:
        return "note"


# ---- Couples and family cases: their therapists (issue 18) ------------------------------


class CaseTherapistForm(ServiceForm):
    """A therapist of the practice to add to a case."""

    therapist = _choice("Therapist", "Choose a therapist of this practice.")

    def __init__(self, *args: Any, therapists: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer(self, therapist=therapists)


class BreakGlassAllowanceForm(ServiceForm):
    """A privacy officer's leave for one more break-glass opening before the review."""

    reason = forms.CharField(
        label="Why another opening is allowed",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=BREAKGLASS_REASON_MAX,
        help_text=(
            f"At least {BREAKGLASS_REASON_MIN} characters: what you know of the second "
            "emergency, and why it cannot wait for your review."
        ),
        error_messages={"required": "Write why another opening is allowed first."},
    )


# ---- Telehealth (issue 19) ------------------------------------------------------------------


class TelehealthConsentForm(ServiceForm):
    """The client's signature of the telehealth consent, typed by the client in the office."""

    typed_name = forms.CharField(
        label="Client's full legal name",
        max_length=TEXT_MAX,
        help_text="Hand the device to the client: they type their full legal name.",
        error_messages={
            "required": "The client types their full legal name to sign.",
            "max_length": f"Keep the name under {TEXT_MAX} characters.",
        },
    )
    agreed = forms.BooleanField(
        label="I have read the telehealth consent above and agree to it.",
        error_messages={"required": "Tick the box once the client has read and agreed."},
    )


class VideoSessionForm(ServiceForm):
    """The emergency protocol: where the client is now, and whom to call there."""

    client_location = forms.CharField(
        label="Where the client is now",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Ask the client: an address or a place precise enough for emergency services.",
        error_messages={
            "required": "Ask the client where they are now, and write it down.",
            "max_length": "Keep the location under 500 characters.",
        },
    )
    emergency_contact = forms.CharField(
        label="Local emergency contact or number",
        max_length=300,
        help_text="The emergency number for that place, or a person nearby, with their number.",
        error_messages={
            "required": "Write a local emergency number or contact for where the client is now.",
            "max_length": "Keep the contact under 300 characters.",
        },
    )


# ---- Consent documents (issue 19) -----------------------------------------------------------


class DocumentPublishForm(ServiceForm):
    """A new version of one of the practice's consent documents."""

    kind = forms.ChoiceField(label="Document", choices=DocumentKind.choices)
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={
            "required": "Give the document a title.",
            "max_length": "Keep the title under 200 characters.",
        },
    )
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=20_000,
        help_text="Plain text; a blank line starts a new paragraph. Clients see it exactly so.",
        error_messages={
            "required": "Write the document's text.",
            "max_length": "Keep the text under 20,000 characters.",
        },
    )


class DocumentRequestForm(ServiceForm):
    """Which document the client is asked to sign (its latest version)."""

    kind = forms.ChoiceField(label="Document to sign", choices=DocumentKind.choices)


class DocumentSignForm(ServiceForm):
    """A signature: the client's full legal name, typed, and their agreement."""

    typed_name = forms.CharField(
        label="Your full legal name",
        max_length=200,
        help_text="Type your name exactly as the practice has it in your record.",
        error_messages={
            "required": "Type your full legal name to sign.",
            "max_length": "Keep the name under 200 characters.",
        },
    )
    agreed = forms.BooleanField(
        label="I have read this document and agree to it.",
        error_messages={"required": "Tick the box to say you have read the document and agree."},
    )
