"""AuditEntry moved from moderation to audit in state only: a database
migrated before the move keeps its rows, its trigger and its content type."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditEntry

BEFORE_THE_MOVE = [("moderation", "0006_off_hours_report_window"), ("audit", None)]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_an_entry_written_before_the_move_is_read_after_it_with_its_content_type():
    """Slow (migrates moderation and audit back and forth): it is the move itself."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    # As in a deployed database: its content type (and permissions) exist.
    ContentType.objects.get_for_model(AuditEntry)
    executor = migrate(BEFORE_THE_MOVE)
    try:
        old_apps = executor.loader.project_state([BEFORE_THE_MOVE[0]]).apps
        OldEntry = old_apps.get_model("moderation", "AuditEntry")
        OldEntry.objects.create(action="role_changed", reason="written before the move")
        assert ContentType.objects.filter(app_label="moderation", model="auditentry").exists()
    finally:
        migrate(leaves)
    ContentType.objects.clear_cache()
    assert list(AuditEntry.objects.values_list("reason", flat=True)) == ["written before the move"]
    assert list(
        ContentType.objects.filter(model="auditentry").values_list("app_label", flat=True)
    ) == ["audit"]
