"""Forms of consent: the participant's choices and the privacy officer's notice."""

from __future__ import annotations

from typing import Any

from django import forms

from wellkept.consent.services import CONTACT_MAX


class ConsentChoicesForm(forms.Form):
    """The optional choices, changed while taking part, or given again for a new notice."""

    follow_up_contact = forms.BooleanField(required=False)
    safety_alert = forms.BooleanField(required=False)
    notice_version = forms.IntegerField(widget=forms.HiddenInput)


class NoticePublishForm(forms.Form):
    """Publish the next notice version with the privacy contact participants should use."""

    privacy_contact = forms.CharField(
        label="How participants reach the privacy officer",
        help_text="For example an e-mail address and a phone number. It is printed in the "
        "notice and on every receipt.",
        max_length=CONTACT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # The version the officer saw they were about to publish: a second tap or
    # a second officer publishing meanwhile is refused instead of publishing
    # two versions nobody reviewed.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, next_version: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.next_version = next_version

    def clean_version(self) -> int:
        version: int = self.cleaned_data["version"]
        if version != self.next_version:
            raise forms.ValidationError(
                "Another version was published since this page was opened. Review the list "
                "of notices and publish again if it is still needed.",
                code="stale",
            )
        return version
