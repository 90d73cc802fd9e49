"""What the practice's pages do after their accessor found the object: act, then say so.

Every action page has found its client, note, plan or appointment through
its accessor first (404 for anyone else). The service then decides again:
its refusal (PermissionDenied) is "not found" too, so a page never tells
"exists but not for you" apart from "does not exist"; its reason not to
(ValidationError) goes back to the person, as a message or beside the
form's fields, never as a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponseRedirect

from wellkept.practice.forms import ServiceForm

T = TypeVar("T")
# What to say, or where to go: fixed, or from what the service returned.
Said: TypeAlias = str | Callable[[T], str]


def _say(said: Said[T], result: T) -> str:
    return said(result) if callable(said) else said


def act_then_back(
    request: HttpRequest, *, act: Callable[[], T], done: Said[T], back: str
) -> HttpResponseRedirect:
    """Run the service and go back to ``back``, saying what was done or why it was not."""
    try:
        result = act()
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _say(done, result))
    return HttpResponseRedirect(back)


def act_on_form(
    request: HttpRequest, form: ServiceForm, *, act: Callable[[], T], done: Said[T], then: Said[T]
) -> HttpResponseRedirect | None:
    """Run the service for a valid form: redirect on success, else None with its refusals shown.

    None tells the view to render the form again, with the service's
    reasons beside the fields they name.
    """
    try:
        result = act()
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        form.add_service_errors(exc)
        return None
    messages.success(request, _say(done, result))
    return HttpResponseRedirect(_say(then, result))
