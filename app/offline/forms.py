"""The entry as a phone sends it after writing offline."""

from __future__ import annotations

from wtforms import StringField

from app.core.forms import MultiCheckboxField
from app.journal.forms import EntryForm


class CommitmentIdsField(MultiCheckboxField):
    """Commitment ids as sent; the diary service keeps only those of the member's own plan."""

    def pre_validate(self, form) -> None:
        self.data = list(dict.fromkeys(v for v in (self.data or []) if 0 < v < 2**31))


class SyncEntryForm(EntryForm):
    """The fields of the entry form, plus the UUID the phone gave the entry."""

    client_id = StringField()
    commitment_ids = CommitmentIdsField(coerce=int, choices=[])
