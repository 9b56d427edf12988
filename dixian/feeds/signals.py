"""What feeds tells the apps above it (docs/architecture.md): feeds sits below screening, so it sends
signals instead of importing screening; the screening app connects its handlers in its AppConfig.ready().
"""

from __future__ import annotations

from django.dispatch import Signal

# A delivery's rows are ready to be screened: a delivery was accepted, or a probabilistic link of one of
# its records was decided. Sent inside the transaction that stored the change, with `delivery` and
# `owner` (the account the follow-up work belongs to, or None). Receivers that start work run it in
# that same transaction (screening enqueues its job there, so the job exists exactly when the change does).
delivery_changed = Signal()
