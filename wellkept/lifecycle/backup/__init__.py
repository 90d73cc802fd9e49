"""Encrypted, verifiable backups that never resurrect an erased person.

- ``keys``: the backup key (its own file, apart from the keyring).
- ``stream``: AES-256-GCM in authenticated chunks, streaming.
- ``manifest``: what a backup holds, authenticated under the backup key.
- ``snapshot``: a consistent copy of the database (SQLite online backup,
  PostgreSQL ``pg_dump``) and putting one back.
- ``services``: create, verify, restore and drill, as the command calls them.

See docs/backups.md.
"""
