"""The participant's consent choices (the privacy officer's forms are in privacy_forms)."""

from __future__ import annotations

from django import forms


class ConsentChoicesForm(forms.Form):
    """The optional choices, changed while taking part, or given again for a new notice."""

    follow_up_contact = forms.BooleanField(required=False)
    safety_alert = forms.BooleanField(required=False)
    notice_version = forms.IntegerField(widget=forms.HiddenInput)
