"""The domain's tables, and the rules that are facts about a row (``FollowUp.is_overdue``).

Import from here: ``from feedback_service.models import Touchpoint``. May import: extensions.
"""

from .alert import ALERT_END_REASONS, ALERT_KINDS, Alert, AlertRule
from .audit import AUDIT_STATUSES, EFFORTS, EXPECTATIONS, SEVERITIES, Audit, AuditFinding
from .backlog import (
    BACKLOG_OPEN_STATUSES,
    BACKLOG_SOURCE_KINDS,
    BACKLOG_STATUSES,
    BacklogComment,
    BacklogItem,
    BacklogSource,
)
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
from .rollup import CustomerStep, ResponseRollup, StepRollup, SweepMark
from .staff import ASSIGNMENT_STRATEGIES, Team, User, team_member
from .theme import THEME_KINDS, Theme, ThemeMember, ThemeRun
from .webhook import DELIVERY_STATUSES, WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ALERT_END_REASONS",
    "ALERT_KINDS",
    "ASSIGNMENT_STRATEGIES",
    "AUDIT_STATUSES",
    "AWAITING_ACTION_STATUSES",
    "CLOSED_STATUSES",
    "CHANNELS",
    "DELIVERY_STATUSES",
    "EFFORTS",
    "EVENT_TYPES",
    "EXPECTATIONS",
    "FOLLOW_UP_POLICIES",
    "ROLES",
    "SENTIMENT_LABELS",
    "SENTIMENT_STATUSES",
    "SEVERITIES",
    "SOURCES",
    "THEME_KINDS",
    "Alert",
    "AlertRule",
    "ApiKey",
    "Audit",
    "AuditFinding",
    "BACKLOG_OPEN_STATUSES",
    "BACKLOG_SOURCE_KINDS",
    "BACKLOG_STATUSES",
    "BacklogComment",
    "BacklogItem",
    "BacklogSource",
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
    "ResponseRollup",
    "StepRollup",
    "SweepMark",
    "CustomerStep",
    "SurveyVersion",
    "Team",
    "TenantMixin",
    "Theme",
    "ThemeMember",
    "ThemeRun",
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
