from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "wellkept.messaging"
    label = "messaging"
    verbose_name = "Secure messaging between a client, their care team and the practice"

    def ready(self) -> None:
        from wellkept.messaging import checks as checks
        from wellkept.messaging import services
        from wellkept.practice.hooks import CLIENT_ERASING

        # Erasing a client erases their threads, messages and attachments.
        CLIENT_ERASING.connect(services.on_client_erasing)
