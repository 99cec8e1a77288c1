"""The content type of AuditEntry (and so its admin permissions) follows it
from moderation to audit, instead of a new one being made beside a stale one.

A fresh database has no content types yet (they are made after migrating):
there this does nothing.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="audit", model="auditentry").exists():
        ContentType.objects.using(db).filter(app_label="moderation", model="auditentry").update(
            app_label="audit"
        )


def backwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(
        app_label="moderation", model="auditentry"
    ).exists():
        ContentType.objects.using(db).filter(app_label="audit", model="auditentry").update(
            app_label="moderation"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
