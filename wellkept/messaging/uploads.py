"""The one way an uploaded file enters the service: in memory, and never more than it may keep.

Django's default handlers write a file larger than 2.5 MB to a temporary
file on disk, in clear, and a message's attachment (up to 5 MB by
default) is the client's own document: it must never rest anywhere but
encrypted under the client's key. They also take in a file of any size
before the form sees it, so one large post fills the disk or the memory.

This handler keeps each file in memory, and at most one byte more than the
largest attachment allowed: the rest of a larger file is read off the wire
and dropped, its true size kept, so the form refuses it with a sentence
rather than the upload failing or the file silently vanishing. A reverse
proxy's body limit (docs/admin-guide.md) stops a huge post earlier still.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class BoundedMemoryUploadHandler(FileUploadHandler):
    """Keep an uploaded file in memory, up to the attachment limit plus one byte; count the rest."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.kept = io.BytesIO()
        self.received = 0
        self.room = settings.WELLKEPT_MESSAGE_ATTACHMENT_MAX_BYTES + 1

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        left = self.room - self.kept.tell()
        if left > 0:
            self.kept.write(raw_data[:left])
        # None: no later handler gets the chunk (there is none).

    def file_complete(self, file_size: int) -> UploadedFile:
        self.kept.seek(0)
        return InMemoryUploadedFile(
            file=self.kept,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
