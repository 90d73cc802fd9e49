"""Cost of the vault against raw AES-256-GCM, measured in the same run.

Prints, per value: encryption and decryption through the vault (data key
cached, the common case inside one request), decryption with a cold key
(database read of the wrapped key plus unwrap), and the unwrap alone, each
with its ratio to one raw AES-GCM operation on the same payload.
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PAYLOAD = "nurse.on.nights@example-hospital.org"  # a typical personal value
ROUNDS = 5


def per_call(fn: Callable[[], object], number: int) -> float:
    """Median seconds per call over ROUNDS repetitions of ``number`` calls."""
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def run() -> None:
    from wellkept.vault import services
    from wellkept.vault.keyring import get_keyring
    from wellkept.vault.models import DataKey
    from wellkept.vault.services import Binding

    key = AESGCM.generate_key(bit_length=256)
    aead = AESGCM(key)
    data = PAYLOAD.encode()
    aad = b"wk1|accounts.user|row|email|user:1"
    nonce = secrets.token_bytes(12)
    sealed_raw = aead.encrypt(nonce, data, aad)

    raw_encrypt = per_call(lambda: aead.encrypt(secrets.token_bytes(12), data, aad), 20000)
    raw_decrypt = per_call(lambda: aead.decrypt(nonce, sealed_raw, aad), 20000)

    binding = Binding(label="accounts.user", row="bench-row", field="email", subject="user:bench")
    services.datakey_get_or_create(subject=binding.subject)
    ciphertext = services.encrypt_text(PAYLOAD, binding=binding)

    vault_encrypt = per_call(lambda: services.encrypt_text(PAYLOAD, binding=binding), 5000)
    vault_decrypt = per_call(lambda: services.decrypt_text(ciphertext, binding=binding), 5000)

    def cold_decrypt() -> None:
        services.dek_cache.clear()
        services.decrypt_text(ciphertext, binding=binding)

    vault_cold = per_call(cold_decrypt, 1000)

    datakey = DataKey.objects.get(subject=binding.subject)
    keyring = get_keyring()
    wrapped = bytes(datakey.wrapped)
    context = f"wellkept-dek|{datakey.subject}".encode()
    unwrap = per_call(lambda: keyring.unwrap(datakey.kek_id, wrapped, context=context), 20000)

    # Per-subject creation: new DEK, wrap, insert (first value stored for a person).
    counter = iter(range(10**9))
    create = per_call(
        lambda: services.datakey_get_or_create(subject=f"user:new-{next(counter)}"), 300
    )

    def line(label: str, seconds: float, baseline: float, base_name: str) -> None:
        print(f"  {label:<46} {seconds * 1e6:9.2f} µs   {seconds / baseline:7.1f}x {base_name}")

    print(f"vault: {len(data)}-byte value, median of {ROUNDS} rounds")
    line("raw AES-256-GCM encrypt (baseline)", raw_encrypt, raw_encrypt, "raw encrypt")
    line("raw AES-256-GCM decrypt (baseline)", raw_decrypt, raw_decrypt, "raw decrypt")
    line("vault encrypt_text, data key cached", vault_encrypt, raw_encrypt, "raw encrypt")
    line("vault decrypt_text, data key cached", vault_decrypt, raw_decrypt, "raw decrypt")
    line("vault decrypt_text, cold key (DB read + unwrap)", vault_cold, raw_decrypt, "raw decrypt")
    line("per-subject key unwrap (local KEK)", unwrap, raw_decrypt, "raw decrypt")
    line("per-subject key creation (generate, wrap, insert)", create, raw_encrypt, "raw encrypt")
