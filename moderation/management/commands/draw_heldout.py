"""Draw the corpus's held-out split once and write it to moderation/corpus/heldout.txt.

    python manage.py draw_heldout

A quarter of each language's lines in each category, near-duplicates kept on
one side. It refuses to run again: the split is fixed, so that figures stay
comparable as the corpus grows (new lines train, unless their ids are added
to the file by hand).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from moderation import corpus


class Command(BaseCommand):
    # They make and measure the artefact the start-up checks look for.
    requires_system_checks: list[str] = []
    help = "Draw the held-out split once (refuses if moderation/corpus/heldout.txt exists)."

    def handle(self, *args, **options):
        if corpus.HELDOUT_FILE.exists():
            raise CommandError(
                f"{corpus.HELDOUT_FILE} exists: the held-out split is drawn once. Add ids to "
                "it by hand to hold out new lines."
            )
        ids = corpus.draw_heldout(corpus.load())
        header = (
            "# The held-out split: drawn once by manage.py draw_heldout, then fixed.\n"
            "# Training never reads these lines; make eval-moderation reads only these.\n"
        )
        corpus.HELDOUT_FILE.write_text(header + "\n".join(ids) + "\n", encoding="utf-8")
        self.stdout.write(f"Held out {len(ids)} lines in {corpus.HELDOUT_FILE}.")
