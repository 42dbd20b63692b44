"""Vietnamese order of people (DESIGN §6): by given name, then middle and family name, in the
Vietnamese alphabet (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y), tones after.

ICU's Vietnamese collation (PyICU) makes the sort key; it is stored on the user
(users.name_sort_key, hex, compared byte by byte on every database) so that SQL orders a page of
10,000 people the same way Python orders a list of 16. Every list of people uses one of:

    order_by(*people_order())        # in SQL
    sorted(users, key=person_key)    # in Python
"""

from __future__ import annotations

import threading

import icu
from sqlalchemy import String

KEY_LENGTH = 255  # hex characters kept: the first 127 bytes of the key decide any real name
# Hex compares byte by byte: SQLite's BINARY does; PostgreSQL is told to ("C"), whatever its locale.
SORT_KEY_TYPE = String(KEY_LENGTH).with_variant(String(KEY_LENGTH, collation="C"), "postgresql")
_local = threading.local()


def _collator() -> icu.Collator:
    """One collator per thread (ICU collators are not shared across threads)."""
    collator = getattr(_local, "collator", None)
    if collator is None:
        collator = _local.collator = icu.Collator.createInstance(icu.Locale("vi"))
    return collator


def given_name_first(full_name: str) -> str:
    """ "Nguyễn Thị Mỹ Duyên" -> "Duyên Thị Mỹ Nguyễn": the order a Vietnamese list reads names in."""
    words = (full_name or "").split()
    if len(words) < 2:
        return " ".join(words)
    return " ".join([words[-1], *words[1:-1], words[0]])


def name_sort_key(full_name: str | None) -> str:
    """The stored sort key of a full name (hex of ICU's Vietnamese sort key, given name first)."""
    return _collator().getSortKey(given_name_first(full_name or "")).hex()[:KEY_LENGTH]


def person_key(user) -> tuple[str, int]:
    """Sort key of a User (or anything with .user) in Python: the stored key, then the id."""
    user = getattr(user, "user", user)
    return (user.name_sort_key or name_sort_key(user.full_name), user.id)


def people_order() -> tuple:
    """ORDER BY columns of a list of people: the Vietnamese sort key, then the id."""
    from app.auth.models import User

    return (User.name_sort_key, User.id)
