"""Name words and ages: the small pure rules intake and search share.

Search works on whole, normalised words: "Zoë O'Brien-Hart" gives "zoe",
"o", "brien" and "hart". Each word becomes a keyed blind index
(``vault.services.blind_index``) scoped to the practice, so the same name
at two practices gives unrelated tokens and a stolen database matches
nothing without the key file.

What the index cannot hide, and the trade-off accepted for a search that
never decrypts: equal words give equal tokens within a practice, so a
reader of the database can count how many clients share a name word, and
see which clients share one (relatives, most often), without learning the
word. Whole words only: a prefix index would leak far more.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from wellkept.vault.services import blind_index

# Age of majority: a client younger than this needs a guardian on record.
# Jurisdictions differ; this is the common case.
MAJORITY_AGE = 18
_WORD = re.compile(r"[^\W_]+")


def name_words(text: str) -> list[str]:
    """Return the distinct normalised words of a name: no accents, case folded, in order."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    seen: dict[str, None] = {}
    for word in _WORD.findall(plain):
        seen.setdefault(word, None)
    return list(seen)


def name_tokens(organisation_pk: object, text: str) -> list[str]:
    """Return the practice-scoped blind indexes of a name's words."""
    namespace = f"practice.client-name|{organisation_pk}"
    return [blind_index(namespace, word) for word in name_words(text)]


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Return the age in whole years on ``day``."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - int(before_birthday)


def is_minor(date_of_birth: dt.date, day: dt.date) -> bool:
    return age_on(date_of_birth, day) < MAJORITY_AGE
