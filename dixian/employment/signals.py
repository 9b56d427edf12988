"""What the survey's writers tell the rest of the app (docs/domain.md §23).

`survey_changed(person_ids, months)`: survey records of these persons for these months (first days) were
created or replaced: by the village form, the workbook import or the generator. Sent inside the write's
transaction; the key groups (keygroups.py) connect it in EmploymentConfig.ready() and recompute the members of
these persons in the same transaction, so a list never shows a group that its records no longer support.
"""

from __future__ import annotations

from django.dispatch import Signal

survey_changed = Signal()
