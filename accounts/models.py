"""People in Village: one user model with one role, and what members keep apart."""

from __future__ import annotations

from datetime import date

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


class Language(models.TextChoices):
    """Languages a mum may prefer and a volunteer may speak (matched by code)."""

    ENGLISH = "en", "English"
    ARABIC = "ar", "Arabic"
    BENGALI = "bn", "Bengali"
    BSL = "bsl", "British Sign Language"
    CANTONESE = "yue", "Cantonese"
    FARSI = "fa", "Farsi"
    FRENCH = "fr", "French"
    GUJARATI = "gu", "Gujarati"
    ITALIAN = "it", "Italian"
    KURDISH = "ku", "Kurdish"
    LITHUANIAN = "lt", "Lithuanian"
    MANDARIN = "zh", "Mandarin"
    PASHTO = "ps", "Pashto"
    POLISH = "pl", "Polish"
    PORTUGUESE = "pt", "Portuguese"
    PUNJABI = "pa", "Punjabi"
    ROMANIAN = "ro", "Romanian"
    SOMALI = "so", "Somali"
    SPANISH = "es", "Spanish"
    TAMIL = "ta", "Tamil"
    TIGRINYA = "ti", "Tigrinya"
    TURKISH = "tr", "Turkish"
    UKRAINIAN = "uk", "Ukrainian"
    URDU = "ur", "Urdu"
    WELSH = "cy", "Welsh"


class SupportWanted(models.TextChoices):
    GROUP = "group", "A group"
    ONE_TO_ONE = "one_to_one", "1:1 befriending"
    EITHER = "either", "Either"


class ExperienceTag(models.TextChoices):
    """Lived experience a volunteer chooses to share, for matching."""

    BIRTH_TRAUMA = "birth_trauma", "Birth trauma"
    LOSS = "loss", "Pregnancy or baby loss"
    NICU = "nicu", "Baby in NICU"
    PND = "pnd", "Postnatal depression"
    ANXIETY = "anxiety", "Perinatal anxiety"
    OCD = "ocd", "Perinatal OCD"
    PSYCHOSIS = "psychosis", "Postpartum psychosis"
    FERTILITY = "fertility", "Fertility treatment"
    FEEDING = "feeding", "Feeding difficulties"
    SINGLE_PARENT = "single_parent", "Single parent"
    TWINS = "twins", "Twins or more"
    DISABLED_CHILD = "disabled_child", "Baby with a disability or illness"


class MemberProfile(models.Model):
    """What the service needs to know about a member's eligibility and referral."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="member_profile"
    )
    stage = models.CharField(max_length=16, choices=Stage.choices)
    due_date = models.DateField(null=True, blank=True)
    baby_birth_date = models.DateField(null=True, blank=True)
    referral_source = models.CharField(max_length=32, choices=ReferralSource.choices)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    interpreter_needed = models.BooleanField(default=False)
    support_wanted = models.CharField(
        max_length=12, choices=SupportWanted.choices, default=SupportWanted.EITHER
    )
    # Lived experience she would like her volunteer to share (empty: no preference).
    experience_wanted = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"

    @property
    def experience_wanted_labels(self) -> list[str]:
        return [
            ExperienceTag(tag).label
            for tag in self.experience_wanted
            if tag in ExperienceTag.values
        ]

    @property
    def second_birthday(self):
        """The day her baby turns two (None while pregnant)."""
        if self.baby_birth_date is None:
            return None
        born = self.baby_birth_date
        try:
            return born.replace(year=born.year + 2)
        except ValueError:  # born on 29 February: 1 March in a common year
            return date(born.year + 2, 3, 1)


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


# --- Volunteers -------------------------------------------------------------------


class VolunteerStatus(models.TextChoices):
    APPLYING = "applying", "Applying"
    IN_TRAINING = "in_training", "In training"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    LEFT = "left", "Left"


class VolunteerRecord(models.Model):
    """A volunteer's checks, training and preferences (one per volunteer).

    Whether she may lead sessions or be paired is decided in
    `accounts.policy.is_cleared_volunteer` from `status` and the DBS dates.
    The DBS fields hold the latest check; each check is also in the audit log.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="volunteer_record"
    )
    status = models.CharField(
        max_length=12, choices=VolunteerStatus.choices, default=VolunteerStatus.APPLYING
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    dbs_checked_on = models.DateField("DBS check date", null=True, blank=True)
    dbs_expires_on = models.DateField("DBS check expiry", null=True, blank=True)
    dbs_certificate = models.CharField("DBS certificate number", max_length=20, blank=True)
    # Chosen by the volunteer herself.
    languages = models.JSONField(default=list, blank=True)
    experience_tags = models.JSONField(default=list, blank=True)
    availability = models.TextField(blank=True, max_length=500)
    caseload_cap = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The most active 1:1 chats she takes. Empty: the service's default.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__display_name"]

    def __str__(self) -> str:
        return f"volunteer record of {self.user}"

    @property
    def cap(self) -> int:
        return self.caseload_cap or settings.VILLAGE_MAX_ACTIVE_PAIRINGS

    @property
    def language_labels(self) -> list[str]:
        return [Language(code).label for code in self.languages if code in Language.values]

    @property
    def experience_labels(self) -> list[str]:
        return [
            ExperienceTag(tag).label for tag in self.experience_tags if tag in ExperienceTag.values
        ]


class Training(models.Model):
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trainings"
    )
    course = models.CharField(max_length=120)
    completed_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.course} ({self.completed_on:%d %b %Y})"


class VolunteerReference(models.Model):
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="volunteer_references"
    )
    referee_name = models.CharField(max_length=120)
    relationship = models.CharField(max_length=120, help_text="e.g. employer, teacher.")
    received_on = models.DateField()
    satisfactory = models.BooleanField(default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"reference from {self.referee_name}"


class Supervision(models.Model):
    """A supervision session. The note is for coordinators only."""

    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervisions"
    )
    held_on = models.DateField()
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"supervision of volunteer {self.volunteer_id} on {self.held_on:%d %b %Y}"


class DebriefRequest(models.Model):
    """A volunteer asking to talk a hard chat through with a coordinator."""

    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="debrief_requests"
    )
    flag = models.ForeignKey(
        "moderation.Flag", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True, max_length=1000)
    requested_at = models.DateTimeField(default=timezone.now)
    # Declined offers are kept too, so that the offer is not made again.
    declined = models.BooleanField(default=False)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "flag"], name="one_debrief_answer_per_flag"
            )
        ]

    def __str__(self) -> str:
        return f"debrief request {self.pk} from volunteer {self.volunteer_id}"


class Reminder(models.Model):
    """A reminder sent to coordinators, kept so that each is sent once."""

    class Kind(models.TextChoices):
        DBS_EXPIRING = "dbs_expiring", "DBS check expires soon"
        DBS_EXPIRED = "dbs_expired", "DBS check has expired"
        SUPERVISION_OVERDUE = "supervision_overdue", "Supervision is overdue"
        BABY_TURNED_TWO = "baby_turned_two", "Baby turned two during a pairing"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    about = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # What makes this reminder distinct (the expiry date, the due date, the pairing).
    key = models.CharField(max_length=40)
    due_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "about", "key"], name="one_reminder_each")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} about user {self.about_id}"
