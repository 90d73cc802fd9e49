"""The practice staff's pages (``/practice/``), one module per concept."""

from wellkept.practice.views.practice.clients import (
    client_assign,
    client_detail,
    client_edit,
    client_list,
    client_new,
    client_unassign,
)

__all__ = [
    "client_assign",
    "client_detail",
    "client_edit",
    "client_list",
    "client_new",
    "client_unassign",
]
