"""What the staff's and the client's message pages share: sending a decrypted file back."""

from __future__ import annotations

from django.http import HttpResponse

from wellkept.messaging.models import Attachment

# Asked for by a browser, a file is always saved, never shown inline: a PDF
# or a text file cannot then run script in the practice's origin.
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "text/plain": ".txt",
}


def file_response(attachment: Attachment, data: bytes) -> HttpResponse:
    """The attachment as a download, named neutrally by its sniffed type."""
    response = HttpResponse(data, content_type=attachment.content_type)
    # The name the sender gave can say something personal; the download's
    # name is neutral, so it never lands in a proxy's or browser's log.
    filename = f"attachment-{str(attachment.pk)[:8]}{_EXTENSIONS.get(attachment.content_type, '')}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
