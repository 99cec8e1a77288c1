"""What accounts writes to the audit log: roles, invitations, health-data
consent, safeguarding-detail reads, her own data downloaded, her account closed.

The values are stored in AuditEntry.action and the audit log filters on
them: never change one. The labels are what the audit log page shows.
"""

from django.db import models

from audit.registry import register_actions


@register_actions
class AccountsAuditAction(models.TextChoices):
    ROLE_CHANGED = "role_changed", "Role changed"
    INVITATION_SENT = "invitation_sent", "Invitation sent"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
    SAFEGUARDING_DETAILS_VIEWED = "safeguarding_details_viewed", "Safeguarding details viewed"
    HEALTH_CONSENT_GIVEN = "health_consent_given", "Health-data consent given"
    HEALTH_CONSENT_WITHDRAWN = "health_consent_withdrawn", "Health-data consent withdrawn"
    DATA_EXPORTED = "data_exported", "Own data downloaded"
    ACCOUNT_CLOSED = "account_closed", "Account closed and anonymised"
