from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "wellkept.messaging"
    label = "messaging"
    verbose_name = "Secure messaging between a client, their care team and the practice"

    def ready(self) -> None:
        from wellkept.messaging import checks as checks
        from wellkept.messaging import selectors, services
        from wellkept.practice.hooks import CLIENT_ERASING
        from wellkept.practice.record import RECORD_COLLECTING

        # Erasing a client erases their threads, messages and attachments.
        CLIENT_ERASING.connect(services.on_client_erasing)
        # A client's record download holds their messages (not consultations).
        RECORD_COLLECTING.connect(selectors.record_sections)
