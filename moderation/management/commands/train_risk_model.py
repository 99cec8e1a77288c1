"""Train the risk model's heads on the corpus's training split and commit-ready files.

    python manage.py train_risk_model

Writes moderation/model/risk_model.json (heads, thresholds, curves, what it
was trained on) and moderation/model/figures.json (the held-out figures that
`make eval-moderation` holds later runs to). Deterministic: the same corpus
gives the same files. Embeddings are cached between runs (VILLAGE_CACHE_DIR).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from moderation import corpus, evaluation, risk_model, training


class Command(BaseCommand):
    # They make and measure the artefact the start-up checks look for.
    requires_system_checks: list[str] = []
    help = "Train the risk model on the corpus's training split and write its artefact."

    def handle(self, *args, **options):
        lines = corpus.load()
        split = corpus.split(lines)
        embedder = risk_model.E5Embedder()
        self.stdout.write(
            f"Training on {len(split.train)} lines ({len(split.heldout)} held out) "
            f"with {embedder.name}."
        )
        model = training.train(embedder=embedder, lines=split.train)
        thresholds = training.choose_thresholds(training.prepare(embedder, split.train))
        heldout_scores = evaluation.model_scores(model, split.heldout)
        figures = evaluation.all_figures(
            split.heldout, scores=heldout_scores, thresholds=thresholds
        )
        extra = {
            "heldout": {"sha256": corpus.digest(split.heldout), "lines": len(split.heldout)},
            "thresholds": thresholds,
            "curves": training.curves(split.heldout, heldout_scores),
        }
        path = risk_model.ARTEFACTS["e5"]
        path.parent.mkdir(parents=True, exist_ok=True)
        training.save(model, path, extra=extra)
        evaluation.write_figures(model=model, heldout=split.heldout, figures=figures)
        self.stdout.write(evaluation.report(figures))
        self.stdout.write(f"Wrote {path} and its figures.")
