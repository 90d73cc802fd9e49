"""The request id: made up per request, or a safe one from the proxy kept."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from wellkept.audit.middleware import request_id


def _run(**headers: str) -> tuple[str, str]:
    seen: dict[str, str] = {}

    def view(request):  # type: ignore[no-untyped-def]
        seen["id"] = request.wellkept_request_id
        return HttpResponse()

    response = request_id(view)(RequestFactory().get("/", headers=headers))
    return seen["id"], response["X-Request-ID"]


def test_it_makes_up_an_id_and_echoes_it() -> None:
    rid, echoed = _run()
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    assert echoed == rid


def test_it_keeps_a_safe_incoming_id() -> None:
    assert _run(**{"X-Request-ID": "edge-42-abc"}) == ("edge-42-abc", "edge-42-abc")


@pytest.mark.parametrize("unsafe", ["a b", "x" * 65, "<script>", "id;drop", ""])
def test_it_replaces_an_unsafe_incoming_id(unsafe: str) -> None:
    rid, _ = _run(**{"X-Request-ID": unsafe})
    assert rid != unsafe
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
