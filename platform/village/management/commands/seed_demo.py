"""Demo accounts for trying Village on a laptop. Refuses to run in production."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import (
    ExperienceTag,
    Language,
    MemberProfile,
    ReferralSource,
    Role,
    SafeguardingDetails,
    Stage,
    Supervision,
    Training,
    User,
    VolunteerRecord,
    VolunteerStatus,
)
from accounts.services import give_health_consent
from chat.demo import seed_demo_rooms
from outcomes.demo import seed_demo_outcomes

DEMO_PEOPLE = [
    # email, display name, role
    ("mum@example.org", "Amy", Role.MEMBER),
    ("mum2@example.org", "Beth", Role.MEMBER),
    ("volunteer@example.org", "Val", Role.VOLUNTEER),
    ("coordinator@example.org", "Cora", Role.COORDINATOR),
]


class Command(BaseCommand):
    help = "Create the demo accounts (idempotent) and set their password."

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True, help="Password for every demo account.")

    def handle(self, *args, password: str, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run when VILLAGE_ENV=production.")
        with transaction.atomic():
            people = {
                display_name: self._seed_person(
                    email=email, display_name=display_name, role=role, password=password
                )
                for email, display_name, role in DEMO_PEOPLE
            }
            self._clear_volunteer(people["Val"], coordinator=people["Cora"])
            seed_demo_rooms(people)
            seed_demo_outcomes(people)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo accounts and rooms are ready. Log in at http://127.0.0.1:8000/ with:"
            )
        )
        for email, display_name, role in DEMO_PEOPLE:
            self.stdout.write(f"  {email:<26} {display_name:<5} ({role.label.lower()})")
        self.stdout.write(f"  password: {password}")

    def _seed_person(self, *, email: str, display_name: str, role: str, password: str) -> User:
        user, created = User.objects.get_or_create(
            email=email, defaults={"display_name": display_name, "role": role}
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        if created and role == Role.MEMBER:
            MemberProfile.objects.create(
                user=user,
                stage=Stage.BABY,
                baby_birth_date=timezone.localdate().replace(day=1),
                referral_source=ReferralSource.HEALTH_VISITOR,
            )
            SafeguardingDetails.objects.create(
                member=user,
                real_name=f"{display_name} Example",
                phone="07700 900123",
                postcode="SW1A 1AA",
                gp_practice="Example Surgery",
                emergency_contact_name="Sam Example",
                emergency_contact_phone="07700 900456",
            )
            give_health_consent(user=user)
        return user

    def _clear_volunteer(self, volunteer: User, *, coordinator: User) -> None:
        """Val stays an active volunteer with a DBS check in date, whenever the
        demo is seeded again."""
        today = timezone.localdate()
        record, _ = VolunteerRecord.objects.get_or_create(user=volunteer)
        record.status = VolunteerStatus.ACTIVE
        if record.dbs_expires_on is None or record.dbs_expires_on <= today + timedelta(days=60):
            record.dbs_checked_on = today - timedelta(days=90)
            record.dbs_expires_on = today + timedelta(days=3 * 365 - 90)
        record.languages = record.languages or [Language.ENGLISH, Language.POLISH]
        record.experience_tags = record.experience_tags or [
            ExperienceTag.PND,
            ExperienceTag.BIRTH_TRAUMA,
        ]
        record.availability = record.availability or "Weekday mornings and Tuesday evenings"
        record.save()
        if not Training.objects.filter(volunteer=volunteer).exists():
            Training.objects.create(
                volunteer=volunteer,
                course="Peer support volunteer training (perinatal)",
                completed_on=today - timedelta(days=120),
                recorded_by=coordinator,
            )
        if not Supervision.objects.filter(volunteer=volunteer).exists():
            Supervision.objects.create(
                volunteer=volunteer,
                held_on=today - timedelta(days=14),
                supervisor=coordinator,
                recorded_by=coordinator,
            )
