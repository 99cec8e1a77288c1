"""The default rule set (moderation/default_rules.py) and the settings row.

Both are data coordinators edit afterwards; this runs once.
"""

from django.db import migrations


def load(apps, schema_editor):
    from moderation.default_rules import DEFAULT_RULES

    Rule = apps.get_model("moderation", "Rule")
    SiteSettings = apps.get_model("moderation", "SiteSettings")
    # As get_or_create per rule, in one read and one write: a database is
    # created for every test run, and 1,700 round trips took seconds.
    have = set(Rule.objects.values_list("term", "category"))
    new = []
    for spec in DEFAULT_RULES:
        key = (spec["term"], spec["category"])
        if key in have:
            continue
        have.add(key)
        new.append(
            Rule(
                term=spec["term"],
                category=spec["category"],
                level=spec["level"],
                action=spec.get("action", "default"),
                exceptions=list(spec.get("exceptions", [])),
                built_in=True,
            )
        )
    Rule.objects.bulk_create(new)
    if not SiteSettings.objects.exists():
        SiteSettings.objects.create(
            # Monday to Friday, 9:00 to 17:00, until the service sets its own.
            staffed_hours=[[day, "09:00", "17:00"] for day in range(5)]
        )


def unload(apps, schema_editor):
    apps.get_model("moderation", "Rule").objects.filter(built_in=True).delete()


class Migration(migrations.Migration):
    dependencies = [("moderation", "0003_rules_flags_reports_sanctions")]
    operations = [migrations.RunPython(load, unload)]
