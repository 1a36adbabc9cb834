"""The tracker's models, one module per area; import them from here."""

from tracker.models.activity import Activity, SavedTaskView
from tracker.models.alerts import AlertChannel, AlertDelivery
from tracker.models.api import ApiToken, ApiWrite
from tracker.models.campaign import Campaign
from tracker.models.campaign_change import CampaignChange
from tracker.models.daily import DailyFigures
from tracker.models.followup import FollowUpTask, FollowUpTaskQuerySet, TaskEvent, TaskStateError
from tracker.models.history import Check, DomainState
from tracker.models.home import HomeVisit
from tracker.models.notice import CustomerNotice, NoticeTemplate
from tracker.models.sweep import TIMEOUT_ALERT_SHARE, Sweep, SweepChunk, chunk_lease

__all__ = [
    "TIMEOUT_ALERT_SHARE",
    "AlertChannel",
    "AlertDelivery",
    "ApiToken",
    "ApiWrite",
    "Activity",
    "Campaign",
    "CampaignChange",
    "DailyFigures",
    "Check",
    "CustomerNotice",
    "DomainState",
    "FollowUpTask",
    "FollowUpTaskQuerySet",
    "HomeVisit",
    "NoticeTemplate",
    "SavedTaskView",
    "Sweep",
    "SweepChunk",
    "TaskEvent",
    "TaskStateError",
    "chunk_lease",
]
