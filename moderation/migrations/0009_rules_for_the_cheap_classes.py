"""New built-in rules for existing databases: slang and text-speak, farewells, giving
things away, "I'm ready", threats to her life now; and new exception phrases for
built-in rules (a helpline or training named is not abuse or risk).

A rule a coordinator already has (same term and category) keeps her level, action and
switch; it only gains the new built-in exception phrases, none of hers is removed.
"""

from django.db import migrations


def load(apps, schema_editor):
    from moderation.default_rules import DEFAULT_RULES

    Rule = apps.get_model("moderation", "Rule")
    for spec in DEFAULT_RULES:
        rule, created = Rule.objects.get_or_create(
            term=spec["term"],
            category=spec["category"],
            defaults={
                "level": spec["level"],
                "action": spec.get("action", "default"),
                "exceptions": list(spec.get("exceptions", [])),
                "built_in": True,
            },
        )
        if created or not rule.built_in:
            continue
        exceptions = list(rule.exceptions or [])
        missing = [e for e in spec.get("exceptions", []) if e not in exceptions]
        if missing:
            rule.exceptions = exceptions + missing
            rule.save(update_fields=["exceptions", "updated_at"])


class Migration(migrations.Migration):
    dependencies = [("moderation", "0008_model_screening")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
