"""Measure screening on the corpus's held-out split (`make eval-moderation`).

Prints, for the default rules alone, the model alone and both together:
recall per category, RED kept RED, recall by tag and by language, and false
alarms per 1,000 everyday lines. With --check, fails when a figure is more
than one line worse than moderation/model/figures.json (a regression gate,
not the target).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from moderation import corpus, evaluation, risk_model


class Command(BaseCommand):
    # They make and measure the artefact the start-up checks look for.
    requires_system_checks: list[str] = []
    help = "Measure the rules, the model and both on the corpus's held-out split."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Fail when a figure is more than one line worse than the committed figures.",
        )
        parser.add_argument(
            "--rules-only", action="store_true", help="Measure the default rules alone."
        )
        parser.add_argument(
            "--train",
            action="store_true",
            help="Measure on the training split instead: for writing rules without reading "
            "the held-out lines (the model's figures there are not a measure).",
        )

    def handle(self, *args, check=False, train=False, rules_only=False, **options):
        if check and (train or rules_only):
            raise CommandError("--check compares every held-out figure: leave out --train.")
        split = corpus.split()
        heldout = split.train if train else split.heldout
        if rules_only:
            scanner = evaluation.default_scanner()
            found = evaluation.verdicts(heldout, mode="rules", scanner=scanner)
            self.stdout.write(f"{len(heldout)} {'training' if train else 'held-out'} lines")
            self.stdout.write(evaluation.report({"rules": evaluation.measure(heldout, found)}))
            return
        model = risk_model.load(risk_model.ARTEFACTS["e5"])
        scores = evaluation.model_scores(model, heldout)
        thresholds = evaluation.recommended_thresholds(model)
        figures = evaluation.all_figures(heldout, scores=scores, thresholds=thresholds)
        which = "training" if train else "held-out"
        self.stdout.write(
            f"{len(heldout)} {which} lines; model {model.version} ({model.embedder.name})"
        )
        self.stdout.write(evaluation.report(figures))
        if not check:
            return
        committed = evaluation.read_figures()
        if committed["heldout"]["sha256"] != corpus.digest(heldout):
            raise CommandError(
                "The held-out split changed since the figures were committed: "
                "retrain (manage.py train_risk_model) and commit the new files."
            )
        worse = []
        for mode, now in figures.items():
            before = evaluation.Figures.from_json(committed["figures"][mode])
            worse.extend(f"{mode}: {line}" for line in evaluation.regressions(before, now))
        if worse:
            raise CommandError("Screening got worse than committed:\n" + "\n".join(worse))
        self.stdout.write("No figure is more than one line worse than committed.")
