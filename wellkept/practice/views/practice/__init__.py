"""The practice staff's pages (``/practice/``), one module per concept."""

from wellkept.practice.views.practice.clients import (
    client_assign,
    client_detail,
    client_edit,
    client_list,
    client_new,
    client_unassign,
)
from wellkept.practice.views.practice.notes import (
    addendum_new,
    cosign_queue,
    note_cosign,
    note_detail,
    note_edit,
    note_list,
    note_new,
    note_sign,
    pnote_delete,
    pnote_edit,
    pnote_list,
)

__all__ = [
    "addendum_new",
    "client_assign",
    "client_detail",
    "client_edit",
    "client_list",
    "client_new",
    "client_unassign",
    "cosign_queue",
    "note_cosign",
    "note_detail",
    "note_edit",
    "note_list",
    "note_new",
    "note_sign",
    "pnote_delete",
    "pnote_edit",
    "pnote_list",
]
