"""List members whose display name breaks today's rules (issue 14); changes nothing.

Names chosen before the rules existed are left as they are: a coordinator can
ask the member to choose another. Message bodies never appear here.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts.display_names import members_with_confusing_names


class Command(BaseCommand):
    help = "List members whose display name reads as the team's or hides characters."

    def handle(self, *args, **options):
        found = members_with_confusing_names()
        for member in found:
            # repr shows hidden characters as escapes, so a coordinator can see them.
            self.stdout.write(f"{member.pk}\t{member.display_name!r}")
        self.stdout.write(f"{len(found)} member(s) to ask about their display name.")
