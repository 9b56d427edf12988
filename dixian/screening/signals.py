"""What screening tells the apps above it (docs/architecture.md): reports sits above screening, so a run
signals its end instead of importing reports; reports connects its handler in its AppConfig.ready().
"""

from __future__ import annotations

from django.dispatch import Signal

# A screening run finished and its results are committed. Sent with `run` by `screening_run`, after the
# transaction, in the process that ran it (the job worker, or the `dixian screen` command), never in a
# request: receivers may take seconds (reports refreshes the month's alert figures, docs/domain.md §21).
screening_run_finished = Signal()
