"""The tracker's models, one module per area; import them from here."""

from tracker.models.campaign import Campaign
from tracker.models.followup import FollowUpTask, FollowUpTaskQuerySet, TaskStateError
from tracker.models.history import Check, DomainState
from tracker.models.notice import CustomerNotice, NoticeTemplate
from tracker.models.sweep import TIMEOUT_ALERT_SHARE, Sweep, SweepChunk, chunk_lease

__all__ = [
    "TIMEOUT_ALERT_SHARE",
    "Campaign",
    "Check",
    "CustomerNotice",
    "DomainState",
    "FollowUpTask",
    "FollowUpTaskQuerySet",
    "NoticeTemplate",
    "Sweep",
    "SweepChunk",
    "TaskStateError",
    "chunk_lease",
]
