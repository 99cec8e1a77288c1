"""Create (or update) the database role the running application uses.

The audit log's trigger refuses UPDATE and DELETE, but a table's owner can
disable a trigger, TRUNCATE or DROP the table. So migrations run as the
owner and the application connects as a role that owns nothing: ordinary
DML on Village's tables, on the audit table only SELECT and INSERT, no
TRUNCATE anywhere, no DDL. Run after every `migrate` (docker-compose's
`migrate` service does): it is idempotent and re-applies the audit table's
limits should a migration ever have re-created it.

    VILLAGE_APP_DB_PASSWORD=... python manage.py grant_app_role --role village_app
    python manage.py grant_app_role --role village_app --print   # the SQL, for a DBA
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql

from audit.models import AuditEntry

PASSWORD_VARIABLE = "VILLAGE_APP_DB_PASSWORD"  # noqa: S105 (its name)
# Shown by --print in place of the real password.
PASSWORD_PLACEHOLDER = "change-me"  # noqa: S105


def app_role_sql(*, role: str, password: str, owner: str, database: str, create: bool) -> str:
    """The statements that give `role` the application's privileges, as SQL text.

    `owner` is the role that owns the tables and runs migrations; its future
    tables are covered by default privileges. `create` chooses CREATE ROLE
    (a new role) or ALTER ROLE (set the password of an existing one).
    """
    audit = AuditEntry._meta.db_table
    names = {
        "role": sql.Identifier(role),
        "owner": sql.Identifier(owner),
        "database": sql.Identifier(database),
        "audit": sql.Identifier(audit),
        "password": sql.Literal(password),
    }
    statements = [
        "CREATE ROLE {role} LOGIN PASSWORD {password}"
        if create
        else "ALTER ROLE {role} LOGIN PASSWORD {password}",
        "GRANT CONNECT ON DATABASE {database} TO {role}",
        "GRANT USAGE ON SCHEMA public TO {role}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # The audit log: read and append, nothing else.
        "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit} FROM {role}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public"
        " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public"
        " GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    return "\n".join(
        sql.SQL(statement).format(**names).as_string(None) + ";" for statement in statements
    )


class Command(BaseCommand):
    help = "Create or update the application's database role (PostgreSQL): no owner rights."

    def add_arguments(self, parser):
        parser.add_argument("--role", default="village_app", help="the application's role")
        parser.add_argument(
            "--print",
            action="store_true",
            dest="print_only",
            help="print the SQL (with a placeholder password) and change nothing",
        )

    def handle(self, *, role: str, print_only: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The application role is for PostgreSQL; SQLite has no roles.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            owner, database = cursor.fetchone()
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            exists = cursor.fetchone() is not None
        if role == owner:
            raise CommandError("Run this as the tables' owner, for a different role.")
        if print_only:
            self.stdout.write(
                app_role_sql(
                    role=role,
                    password=PASSWORD_PLACEHOLDER,
                    owner=owner,
                    database=database,
                    create=True,
                )
            )
            return
        password = os.environ.get(PASSWORD_VARIABLE, "")
        if len(password) < 16:
            raise CommandError(f"Set {PASSWORD_VARIABLE} to the role's password (16+ characters).")
        script = app_role_sql(
            role=role, password=password, owner=owner, database=database, create=not exists
        )
        with connection.cursor() as cursor:
            cursor.execute(script)
        self.stdout.write(
            f"Role {role} can use the tables of {database}; the audit log only append."
        )
