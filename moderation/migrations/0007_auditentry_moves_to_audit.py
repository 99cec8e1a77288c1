"""AuditEntry is the audit app's now (audit 0001): removed from moderation's
state only. The table, its rows and the append-only trigger (0002) stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("moderation", "0006_off_hours_report_window"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEntry")],
            database_operations=[],
        ),
    ]
