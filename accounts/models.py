"""People in Village: one user model with one role, and what members keep apart."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    VOLUNTEER = "volunteer", "Volunteer"
    COORDINATOR = "coordinator", "Coordinator"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_superuser", False)
        extra.setdefault("role", Role.MEMBER)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        # An admin is a coordinator whose account is also a superuser.
        extra.update(is_superuser=True, role=Role.COORDINATOR)
        extra.setdefault("display_name", "Admin")
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person with exactly one role; known in chats by a display name only."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(
        max_length=40,
        help_text="The name others see in chats. It need not be your real name.",
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    # Discreet emails (neutral sender and subject, never any message content).
    notify_direct_messages = models.BooleanField(
        default=True, help_text="Email me (at most hourly) when my 1:1 chat has a new message."
    )
    notify_session_opens = models.BooleanField(
        default=True, help_text="Email me when my group's session opens."
    )
    show_online = models.BooleanField(
        default=True, help_text="Others in my rooms can see when I'm online."
    )
    anonymised_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    objects = UserManager()

    class Meta:
        ordering = ["display_name", "id"]

    def __str__(self) -> str:
        return self.display_name or f"user {self.pk}"

    @property
    def is_staff(self) -> bool:  # type: ignore[override]
        # Coordinators may enter the Django admin; what each may see there is
        # decided by the policies (site configuration is for superusers).
        return self.role == Role.COORDINATOR and self.is_active

    @property
    def is_member(self) -> bool:
        return self.role == Role.MEMBER

    @property
    def is_volunteer(self) -> bool:
        return self.role == Role.VOLUNTEER

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR


class Stage(models.TextChoices):
    PREGNANT = "pregnant", "I'm pregnant"
    BABY = "baby", "I have a baby or toddler"


class ReferralSource(models.TextChoices):
    SELF = "self", "I found Village myself"
    HEALTH_VISITOR = "health_visitor", "Health visitor"
    MIDWIFE = "midwife", "Midwife"
    PERINATAL_TEAM = "perinatal_team", "Perinatal mental health team"
    TALKING_THERAPIES = "talking_therapies", "NHS Talking Therapies"
    GP = "gp", "GP"
    SOCIAL_WORKER = "social_worker", "Social worker"
    FAMILY_SUPPORT = "family_support", "Family support worker"
    FNP = "fnp", "Family Nurse Partnership"


class MemberProfile(models.Model):
    """What the service needs to know about a member's eligibility and referral."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="member_profile"
    )
    stage = models.CharField(max_length=16, choices=Stage.choices)
    due_date = models.DateField(null=True, blank=True)
    baby_birth_date = models.DateField(null=True, blank=True)
    referral_source = models.CharField(max_length=32, choices=ReferralSource.choices)

    def __str__(self) -> str:
        return f"profile of {self.user}"


class HealthDataConsent(models.Model):
    """Explicit consent to processing of health data (UK GDPR special category).

    Kept apart from any other consent, one row per consent given, with the
    version of the wording the person agreed to; withdrawal is recorded, not
    a deletion.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="health_consents"
    )
    version = models.CharField(max_length=16)
    given_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]

    def __str__(self) -> str:
        return f"health-data consent v{self.version} by {self.user}"


class SafeguardingDetails(models.Model):
    """A member's private details, for a coordinator to reach her in danger.

    Never shown in chats or on the profile. Read only through
    `accounts.services.view_safeguarding_details`, which writes the audit log.
    """

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="safeguarding_details"
    )
    real_name = models.CharField(max_length=120)
    phone = models.CharField(max_length=32)
    postcode = models.CharField(max_length=10)
    gp_practice = models.CharField("GP practice", max_length=120)
    emergency_contact_name = models.CharField(max_length=120)
    emergency_contact_phone = models.CharField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "safeguarding details"

    def __str__(self) -> str:
        return f"safeguarding details of member {self.member_id}"


class Invitation(models.Model):
    """A coordinator's invitation for a volunteer (or coordinator) to join."""

    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_by = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitation",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation for {self.email} as {self.role}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_by_id is None and self.expires_at > timezone.now()
