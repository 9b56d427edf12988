from __future__ import annotations

# The `spark` fixture (one local session for the whole test run) is in the repository's conftest.py: the
# command test of dixian/synthetic uses the same session.
