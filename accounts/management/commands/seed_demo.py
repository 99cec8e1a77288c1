"""Demo accounts for trying Village on a laptop. Refuses to run in production."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import MemberProfile, ReferralSource, Role, SafeguardingDetails, Stage, User
from accounts.services import give_health_consent
from chat.demo import seed_demo_rooms

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
            seed_demo_rooms(people)
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
        return user
