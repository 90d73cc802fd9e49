"""Forms for the client portal."""

from __future__ import annotations

from typing import Any

from django import forms

from wellkept.accounts.forms import AcceptInvitationForm
from wellkept.practice.forms import ServiceForm
from wellkept.practice.models import Room


class PortalAcceptForm(AcceptInvitationForm):
    """The invited client chooses a password under the staff's rules.

    A second factor is offered and encouraged, not imposed, so the length
    for a password that may be the only factor applies.
    """


def _when(label: str, *, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text="Date and time, in the practice's time zone.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": "Give at least one time that suits you.",
            "invalid": "Give a date and time, such as 2026-05-04 16:00.",
        },
    )


class AppointmentRequestForm(ServiceForm):
    """Up to three times that suit the client, and a short note for the practice."""

    first_choice = _when("First choice", required=True)
    second_choice = _when("Second choice")
    third_choice = _when("Third choice")
    note = forms.CharField(
        label="Note for the practice (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept encrypted; only your therapist and the front desk read it.",
    )

    def choices(self) -> list[Any]:
        data = self.cleaned_data
        return [data.get(n) for n in ("first_choice", "second_choice", "third_choice")]


class NewAppointmentRequestForm(AppointmentRequestForm):
    video = forms.BooleanField(label="A video session", required=False)


class AcceptRequestForm(ServiceForm):
    """Which of the client's times to book, and the room unless it is a video session."""

    choice = forms.TypedChoiceField(label="Time", coerce=int, widget=forms.RadioSelect)
    room = forms.ModelChoiceField(
        label="Room", queryset=Room.objects.none(), required=False, empty_label="(video session)"
    )

    def __init__(self, *args: Any, times: list[str], rooms: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice: Any = self.fields["choice"]
        choice.choices = list(enumerate(times))
        room: Any = self.fields["room"]
        room.queryset = rooms


class DeclineRequestForm(ServiceForm):
    reason = forms.CharField(
        label="Reason (the client reads it)",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why, for the client."},
    )
