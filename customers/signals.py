"""Signals of the CRM core, for the layers above it (customers imports nothing of tracker).

`rep_changed` is sent after a customer's rep changed (any path: the edit page, the admin,
an import, a hand-over of a leaving rep), inside the transaction that changed it, so
what listens (tracker.services.reassignment: tasks follow, the new rep is told) commits
or rolls back with it.
"""

from django.dispatch import Signal

# Arguments: customer, previous_rep_id (None: had no rep), by (who did it, may be None),
# quiet (True: a hand-over of many customers that tells the new rep once, itself).
rep_changed = Signal()
