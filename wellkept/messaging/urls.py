"""Secure messaging's pages: the staff's under /practice/, the client's under /portal/."""

from django.urls import URLPattern, path

from wellkept.messaging.views import client, practice

practice_patterns: list[URLPattern] = [
    path("messages/", practice.inbox, name="inbox"),
    path("messages/threads/<uuid:pk>/", practice.thread, name="thread"),
    path("messages/threads/<uuid:pk>/reply/", practice.reply, name="reply"),
    path("messages/attachments/<uuid:pk>/", practice.attachment, name="attachment"),
    path("clients/<uuid:pk>/messages/", practice.client_threads, name="client_threads"),
    path("clients/<uuid:pk>/messages/new/", practice.thread_new, name="thread_new"),
    path(
        "clients/<uuid:pk>/messages/consultation/new/",
        practice.consultation_new,
        name="consultation_new",
    ),
]

# Mounted under /portal/ (the portal middleware confines a portal login there).
client_patterns: list[URLPattern] = [
    path("messages/", client.inbox, name="inbox"),
    path("messages/new/", client.thread_new, name="thread_new"),
    path("messages/<uuid:pk>/", client.thread, name="thread"),
    path("messages/<uuid:pk>/reply/", client.reply, name="reply"),
    path("messages/attachments/<uuid:pk>/", client.attachment, name="attachment"),
]
