"""What the survey's writers tell the rest of the app (docs/domain.md §23).

`survey_changed(person_ids, months)`: survey records of these persons for these months (first days) were
created or replaced: by the village form, the workbook import or the generator. Sent inside the write's
transaction; the key groups (keygroups.py) connect it in EmploymentConfig.ready() and recompute the members of
these persons in the same transaction, so a list never shows a group that its records no longer support.

A writer that knows them adds two sets of region codes, and the receivers then do not look them up again (the
workbook import: 100,000 persons, ≈ 0.4 s of queries, docs/benchmarks.md "Survey workbook import"):
`person_places`, where the persons live now (the key groups' refresh region), and `record_places`, where the
created or replaced records were made (their stored region_code; the dashboards' villages). Either may be left
out; when given it must be complete.
"""

from __future__ import annotations

from django.dispatch import Signal

survey_changed = Signal()
