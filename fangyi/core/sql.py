"""Plain SQL on the hottest paths (the gate check, its token lookup).

Django's cursor wrappers (placeholder rewriting, execute wrappers, error translation,
the connection proxy) cost about as much as a short indexed statement itself. `run`
executes one statement on the driver's connection that Django holds: the same
connection, so the same transaction and the same settings; only the wrappers are
skipped. Callers adapt parameters with `connection.ops` as the ORM would
(`adapt_datetimefield_value`, `adapt_datefield_value`, `adapt_decimalfield_value`),
and write statements that mean the same on SQLite and PostgreSQL, with `%s`
placeholders. Statements run here do not appear in `connection.queries`; tests count
them by counting calls of `run`. On PostgreSQL they are prepared once per connection
(server-side binding): a connection pooler in transaction mode (pgbouncer) must be
configured to keep prepared statements, or be run in session mode.
"""

from __future__ import annotations

import weakref

from django.db import DEFAULT_DB_ALIAS, connections

# Statement text per vendor: the driver's own placeholders (sqlite3 wants ?).
_texts: dict[tuple[str, str], str] = {}


def _text(vendor: str, sql: str) -> str:
    key = (vendor, sql)
    text = _texts.get(key)
    if text is None:
        text = _texts[key] = sql.replace("%s", "?") if vendor == "sqlite" else sql
    return text


def run(sql: str, params: tuple = ()) -> list[tuple]:
    """Execute one statement; its rows (none for a statement without a result)."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # one lookup: the proxy costs one per attribute
    if wrapper.connection is None:
        wrapper.ensure_connection()
    raw = wrapper.connection
    if wrapper.vendor == "postgresql":
        # A server-side prepared statement per connection: PostgreSQL plans each of these
        # statements once instead of on every gate check (planning cost more than running
        # them). sqlite3 keeps its own cache of prepared statements.
        cursor = _cursors.get(raw)
        if cursor is None or cursor.closed:
            cursor = _cursors[raw] = _pg_cursor(raw)
        cursor.execute(sql, params, prepare=True)
        # The result's status, not cursor.description, which builds a Column per column.
        result = cursor.pgresult
        return cursor.fetchall() if result is not None and result.status == _TUPLES_OK else []
    cursor = raw.execute(_text(wrapper.vendor, sql), params)
    try:
        return cursor.fetchall() if cursor.description is not None else []
    finally:
        cursor.close()


# One psycopg cursor per driver connection, reused by every statement run on it (a new
# cursor makes its own adapters and transformer): weakly keyed, so that it goes with its
# connection.
_cursors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TUPLES_OK = 2  # psycopg.pq.ExecStatus.TUPLES_OK


def _pg_cursor(raw):
    import psycopg

    return psycopg.Cursor(raw)
