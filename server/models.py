"""Every model, imported in one place so Alembic and the app see the whole schema."""

from server.accounts.models import Grid, User, grid_inspectors
from server.audit.models import AuditEntry
from server.briefs.models import Brief
from server.enterprises.models import Enterprise
from server.hazards.models import Hazard, HazardEvent, Photo, Rectification, Verification
from server.inspections.models import Inspection
from server.notifications.models import Notification
from server.records.models import SafetyRecord
from server.reminders.models import ReminderDelivery

__all__ = [
    "AuditEntry",
    "Brief",
    "Enterprise",
    "Grid",
    "Hazard",
    "HazardEvent",
    "Inspection",
    "Notification",
    "Photo",
    "Rectification",
    "ReminderDelivery",
    "SafetyRecord",
    "User",
    "Verification",
    "grid_inspectors",
]
