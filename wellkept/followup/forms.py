"""Forms of the follow-up pages: what people type, checked before any service is called."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms

from wellkept.followup.models import (
    ALERT_WAIT_DAYS,
    DEFAULT_GRANT_HOURS,
    MAX_GRANT_HOURS,
    REQUEST_WAIT_DAYS,
    CloseReason,
)
from wellkept.followup.reidentification import REASON_MAX, REIDENTIFICATION_PURPOSES
from wellkept.followup.services import (
    CONTACT_MAX,
    CONVERSATION_WAYS,
    MESSAGE_MAX,
    NAME_MAX,
    NOTE_MAX,
    WHEN_MAX,
)


class OnceForm(forms.Form):
    """A form that carries a random key, so that sending it twice stores one message.

    Optional when posted (a script may leave it out and gets no protection
    from repeats); every form the pages render has a fresh one.
    """

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", secrets.token_urlsafe(24))


class MessageForm(OnceForm):
    body = forms.CharField(
        label="Message", max_length=MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )


class ReplyForm(OnceForm):
    body = forms.CharField(
        label="Your reply", max_length=MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )


class NoteForm(OnceForm):
    body = forms.CharField(
        label="Case note (only the follow-up team sees it)",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label="Why is the case closed?", choices=CloseReason.choices)


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label="Give the case to")

    def __init__(self, *args: object, team: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["assignee"].choices = team  # type: ignore[attr-defined]


class ShareForm(OnceForm):
    name = forms.CharField(label="Your name", max_length=NAME_MAX)
    contact = forms.CharField(
        label="How to reach you (phone or e-mail, optional)", max_length=CONTACT_MAX, required=False
    )


class ConversationForm(OnceForm):
    way = forms.ChoiceField(
        label="How would you like to talk?",
        choices=list(CONVERSATION_WAYS.items()),
        widget=forms.RadioSelect,
    )
    when = forms.CharField(
        label="When suits you?",
        help_text="For example “weekday mornings” or “Thursday after my night shift”.",
        max_length=WHEN_MAX,
    )


class IdentityRequestForm(forms.Form):
    # A plain text field, checked by the service: a tampered value naming a
    # prohibited purpose must reach the policy to be refused and recorded,
    # not vanish as a form error.
    purpose = forms.CharField(label="Purpose", max_length=64)
    reason = forms.CharField(
        label="Why do you need the name? (the privacy officer and the participant read this)",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    PURPOSES = [(p.value, str(p.label)) for p in REIDENTIFICATION_PURPOSES]


class DecisionForm(forms.Form):
    note = forms.CharField(
        label="Note on your decision (optional)",
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ApproveForm(DecisionForm):
    hours = forms.IntegerField(
        label="Valid for (hours)",
        min_value=1,
        max_value=MAX_GRANT_HOURS,
        initial=DEFAULT_GRANT_HOURS,
    )
    do_not_tell = forms.BooleanField(
        label="Do not tell the participant (an exception: give the reason below)",
        required=False,
    )
    exception_reason = forms.CharField(
        label="Why the participant is not told",
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="What is the emergency? (the privacy officer reviews this)",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    confirm = forms.BooleanField(
        label="This is a safety emergency and I cannot wait for a second person.",
    )


class ReviewForm(forms.Form):
    note = forms.CharField(
        label="Your review", max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class AllowanceForm(forms.Form):
    reason = forms.CharField(
        label="Why may this specialist open one more name before the review?",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DeadlinesForm(forms.Form):
    alert_wait_days = forms.IntegerField(
        label="Safety alerts: mark and tell the wellbeing officers when nobody has taken one "
        "within (days)",
        min_value=ALERT_WAIT_DAYS[0],
        max_value=ALERT_WAIT_DAYS[1],
    )
    request_wait_days = forms.IntegerField(
        label="Requests for contact: the same, within (days)",
        min_value=REQUEST_WAIT_DAYS[0],
        max_value=REQUEST_WAIT_DAYS[1],
    )
