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
    # As get_or_create per rule, in one read and a write for each change: a
    # database is created for every test run, and 1,700 round trips took seconds.
    existing = {(rule.term, rule.category): rule for rule in Rule.objects.all()}
    new = []
    for spec in DEFAULT_RULES:
        key = (spec["term"], spec["category"])
        rule = existing.get(key)
        if rule is None:
            rule = Rule(
                term=spec["term"],
                category=spec["category"],
                level=spec["level"],
                action=spec.get("action", "default"),
                exceptions=list(spec.get("exceptions", [])),
                built_in=True,
            )
            existing[key] = rule
            new.append(rule)
            continue
        if not rule.built_in:
            continue
        exceptions = list(rule.exceptions or [])
        missing = [e for e in spec.get("exceptions", []) if e not in exceptions]
        if missing:
            rule.exceptions = exceptions + missing
            if rule.pk is not None:
                rule.save(update_fields=["exceptions", "updated_at"])
    Rule.objects.bulk_create(new)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0008_model_screening")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
