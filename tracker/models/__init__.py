"""The tracker's models, one module per area; import them from here."""

from tracker.models.campaign import Campaign
from tracker.models.daily import DailyFigures
from tracker.models.followup import FollowUpTask, FollowUpTaskQuerySet, TaskStateError
from tracker.models.history import Check, DomainState
from tracker.models.home import HomeVisit
from tracker.models.notice import CustomerNotice, NoticeTemplate
from tracker.models.sweep import CHUNK_LEASE, TIMEOUT_ALERT_SHARE, Sweep, SweepChunk

__all__ = [
    "CHUNK_LEASE",
    "TIMEOUT_ALERT_SHARE",
    "Campaign",
    "DailyFigures",
    "Check",
    "CustomerNotice",
    "DomainState",
    "FollowUpTask",
    "FollowUpTaskQuerySet",
    "HomeVisit",
    "NoticeTemplate",
    "Sweep",
    "SweepChunk",
    "TaskStateError",
]
