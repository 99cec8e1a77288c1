"""Train this service's own risk model from the corpus and its coordinators' labels.

    python manage.py retrain_risk_model [--embedder e5|hashed] [--dry-run]

Trains on the corpus's training split (never a held-out line) plus the
labels kept in this service's database (moderation.models.Label), measures
the held-out split with the model in use now and with the new one, prints
both tables, and writes the new model to VILLAGE_LOCAL_MODEL_DIR only when it
does no worse (moderation.training.worse: no RED category loses a held-out
line, for the model alone or with the rules, RED stays RED, and there is no
more false RED; each model at its own thresholds, chosen at the same
false-alarm budgets). Otherwise it exits with an error and writes nothing.

The shipped model (moderation/model/) is never touched: it is trained on the
corpus alone (`manage.py train_risk_model`). Screening uses the local model
when there is one (risk_model.current). `--embedder hashed` trains over the
hashed n-gram embedder instead of e5: seconds instead of minutes, for tests.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from moderation import corpus, evaluation, risk_model, training
from moderation.selectors import training_examples

EMBEDDERS = {"e5": risk_model.E5Embedder, "hashed": risk_model.HashedEmbedder}


class Command(BaseCommand):
    help = (
        "Retrain the risk model for this service from the corpus and its coordinators' "
        "labels; keep it only if it does no worse on the held-out split."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--embedder",
            choices=sorted(EMBEDDERS),
            default="e5",
            help="e5 (the real one) or hashed (fast, for tests).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Measure and compare, but write nothing."
        )

    def handle(self, *args, embedder: str = "e5", dry_run: bool = False, **options):
        target = risk_model.local_model_dir().resolve()
        package = Path(risk_model.__file__).resolve().parent
        if target == package or package in target.parents:
            raise CommandError(
                f"VILLAGE_LOCAL_MODEL_DIR ({target}) is inside the moderation package: the "
                "service's own model must live outside the code and the image."
            )
        chosen = EMBEDDERS[embedder]()
        split = corpus.split()
        examples = training_examples()
        extra_lines = training.example_lines(examples)
        self.stdout.write(
            f"{len(split.train)} corpus training lines, {len(extra_lines)} from this "
            f"service's labels; {len(split.heldout)} held-out lines to measure on."
        )

        before, before_thresholds, before_name = self._model_in_use(chosen, split)
        before_figures = self._figures(before, before_thresholds, split.heldout)
        self.stdout.write(f"\nBefore: {before_name}")
        self.stdout.write(evaluation.report(before_figures))

        lines = (*split.train, *extra_lines)
        after = training.train(embedder=chosen, lines=lines)
        after_thresholds = training.choose_thresholds(training.prepare(chosen, lines))
        after_figures = self._figures(after, after_thresholds, split.heldout)
        self.stdout.write(f"\nAfter: retrained with the labels ({after.version})")
        self.stdout.write(evaluation.report(after_figures))

        problems = training.worse(before_figures, after_figures)
        if problems:
            raise CommandError(
                "The retrained model does worse on the held-out split, so it was not "
                "written and screening carries on as before:\n  " + "\n  ".join(problems)
            )
        if dry_run:
            self.stdout.write("\nNo worse; --dry-run, so nothing was written.")
            return
        path = self._write(after, after_thresholds, after_figures, split, examples, target)
        self.stdout.write(f"\nNo worse than before. Wrote {path}; screening uses it from now.")

    def _model_in_use(self, embedder, split):
        """The model screening uses now, measured like for like: the local model or
        the shipped one, if it was made over this embedder; else (the hashed
        embedder's runs) the corpus-only model trained over it, as the shipped one is."""
        path = risk_model.artefact_in_use()
        try:
            model = risk_model.load(path, embedder=embedder)
        except risk_model.ModelUnavailable:
            model = None
        if model is not None and "thresholds" in model.meta:
            return model, model.meta["thresholds"], f"{path} ({model.version})"
        model = training.train(embedder=embedder, lines=split.train)
        thresholds = training.choose_thresholds(training.prepare(embedder, split.train))
        return model, thresholds, f"the corpus alone over {embedder.name} ({model.version})"

    def _figures(self, model, thresholds, heldout):
        scores = evaluation.model_scores(model, heldout)
        return evaluation.all_figures(heldout, scores=scores, thresholds=thresholds)

    def _write(self, model, thresholds, figures, split, examples, target: Path) -> Path:
        """The artefact, its arrays and its figures, replaced whole (a temporary
        directory beside the target, then renamed file by file)."""
        target.mkdir(parents=True, exist_ok=True)
        heldout_scores = evaluation.model_scores(model, split.heldout)
        extra = {
            "heldout": {"sha256": corpus.digest(split.heldout), "lines": len(split.heldout)},
            "thresholds": thresholds,
            "curves": training.curves(split.heldout, heldout_scores),
            "labels": {"used": len(training.example_lines(examples))},
            "local": True,
        }
        name = risk_model.LOCAL_ARTEFACT
        with tempfile.TemporaryDirectory(dir=target, prefix=".retrain-") as scratch:
            staged = Path(scratch) / name
            training.save(model, staged, extra=extra)
            (Path(scratch) / "figures.json").write_text(
                json.dumps(
                    {
                        "model": model.version,
                        "heldout": extra["heldout"],
                        "figures": {mode: f.as_json() for mode, f in figures.items()},
                    },
                    indent=1,
                )
                + "\n",
                encoding="utf-8",
            )
            # Arrays first: the JSON is what marks a complete artefact.
            os.replace(risk_model.arrays_path(staged), risk_model.arrays_path(target / name))
            os.replace(Path(scratch) / "figures.json", target / "figures.json")
            os.replace(staged, target / name)
        return target / name
