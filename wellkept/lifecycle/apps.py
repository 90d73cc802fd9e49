from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "wellkept.lifecycle"
    label = "lifecycle"
    verbose_name = "Erasure, retention and backups"

    def ready(self) -> None:
        from wellkept.lifecycle import selectors, tombstones
        from wellkept.practice.holds import register_hold_check
        from wellkept.practice.tombstones import register_tombstone_writer

        tombstones.register_checkpoint_head()
        # The practice cannot import the holds (they are a layer above it):
        # its client_erase asks this check before shredding anything.
        register_hold_check(selectors.client_held)
        # Nor the tombstone journal: an erased client must stay erased
        # after a restore, so client_erase writes through this.
        register_tombstone_writer(tombstones.client_tombstone_write)
