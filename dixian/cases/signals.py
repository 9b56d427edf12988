"""What cases tells the apps above it (docs/architecture.md): cases sits below declarations, so it sends
signals instead of importing declarations; the declarations app connects its handler in AppConfig.ready().
"""

from __future__ import annotations

from django.dispatch import Signal

# An alert's status was changed by a person (taken up, confirmed, dismissed). Sent inside the transaction
# of the change with `alert`, `note` (the close note) and `actor`; receivers write in that transaction,
# so their changes and audit rows stand or fall with the alert's.
alert_status_changed = Signal()
