"""The domain's tables, and the rules that are facts about a row (``FollowUp.is_overdue``).

Import from here: ``from feedback_service.models import Touchpoint``. May import: extensions.
"""

from .base import TenantMixin, TimestampMixin, UTCDateTime, utcnow
from .event import EVENT_TYPES, Event
from .follow_up import (
    AWAITING_ACTION_STATUSES,
    CLOSED_STATUSES,
    OPEN_STATUSES,
    PRIORITIES,
    STATUSES,
    FollowUp,
    FollowUpActivity,
    OutboundEmail,
    RootCause,
)
from .journey import CHANNELS, FOLLOW_UP_POLICIES, Journey, SurveyVersion, Touchpoint
from .organization import ROLES, ApiKey, Organization
from .response import SENTIMENT_LABELS, SENTIMENT_STATUSES, SOURCES, Customer, Display, Response
from .staff import ASSIGNMENT_STRATEGIES, Team, User, team_member
from .webhook import DELIVERY_STATUSES, WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ASSIGNMENT_STRATEGIES",
    "AWAITING_ACTION_STATUSES",
    "CLOSED_STATUSES",
    "CHANNELS",
    "DELIVERY_STATUSES",
    "EVENT_TYPES",
    "FOLLOW_UP_POLICIES",
    "ROLES",
    "SENTIMENT_LABELS",
    "SENTIMENT_STATUSES",
    "SOURCES",
    "ApiKey",
    "Customer",
    "Display",
    "Event",
    "FollowUp",
    "FollowUpActivity",
    "OPEN_STATUSES",
    "OutboundEmail",
    "PRIORITIES",
    "RootCause",
    "STATUSES",
    "Journey",
    "Organization",
    "Response",
    "SurveyVersion",
    "Team",
    "TenantMixin",
    "TimestampMixin",
    "Touchpoint",
    "UTCDateTime",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "team_member",
    "utcnow",
]
