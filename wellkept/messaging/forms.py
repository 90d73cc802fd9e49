"""Forms for secure messages: a reply, a new thread; an optional attachment on each."""

from __future__ import annotations

from typing import Any

from django import forms

from wellkept.messaging.models import ThreadKind
from wellkept.messaging.services import BODY_MAX, SUBJECT_MAX, Upload
from wellkept.practice.forms import ServiceForm


class ReplyForm(ServiceForm):
    """A message; the file, if any, is checked by the service (size, type by content)."""

    body = forms.CharField(
        label="Message", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 6})
    )
    attachment = forms.FileField(
        label="Attach a file (optional)",
        required=False,
        help_text="PDF, PNG, JPEG or plain text.",
    )

    def upload(self) -> Upload | None:
        """The chosen file, read, or None."""
        chosen: Any = self.cleaned_data.get("attachment")
        if not chosen:
            return None
        return Upload(name=str(chosen.name or ""), data=chosen.read())


class NewThreadForm(ReplyForm):
    """A new conversation: what it is about, its subject and its first message."""

    field_order = ["kind", "subject", "body", "attachment"]

    kind = forms.ChoiceField(label="About")
    subject = forms.CharField(label="Subject", max_length=SUBJECT_MAX)

    def __init__(self, *args: Any, kinds: list[ThreadKind], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, k.label) for k in kinds]  # type: ignore[attr-defined]
