"""A signed consent document's receipt: one self-contained HTML file the client can keep.

Like the wellbeing face's consent receipts (``consent/receipts.py``) it is
built from what was frozen at signing, never from today's texts: the
version's text (versions never change), the digest recorded at signing,
the time and the typed name. It names the client only by that typed name,
and carries no address: a receipt travels (e-mail, a file share).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from wellkept.practice.models import ConsentDocumentSignature


def receipt_response(request: HttpRequest, signature: ConsentDocumentSignature) -> HttpResponse:
    """The receipt of a signed document, as a download."""
    html = render_to_string(
        "practice/practice/documents/receipt.html",
        {
            "signature": signature,
            "version": signature.version,
            "organisation": signature.version.organisation,
        },
        request=request,
    )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    name = f"consent-{signature.version.kind}-v{signature.version.number}-receipt.html"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
