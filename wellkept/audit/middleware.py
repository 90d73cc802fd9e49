"""Give every request an id that its audit entries and its response share."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase

Handler = Callable[[HttpRequest], HttpResponseBase]

HEADER = "X-Request-ID"
# An incoming id from our own proxy is kept so its logs and ours line up; it
# is written into audit rows and a response header, so anything but a short
# plain token is replaced (no header injection, no content smuggled in).
_SAFE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


def request_id(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponseBase:
        incoming = request.headers.get(HEADER, "")
        rid = incoming if _SAFE_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.wellkept_request_id = rid  # type: ignore[attr-defined]
        response = get_response(request)
        response[HEADER] = rid
        return response

    return middleware
