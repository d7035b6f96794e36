"""Writing demo batches through Django: positional model instances, `bulk_create`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter

from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.models import Max
from tqdm import tqdm

from fangyi.demo.generate import MODELS, Batch

# SQLite page cache while writing the demo (KiB): the default 2 MiB makes the
# randomly-keyed indexes (document number, name, phone) spill and rewrite
# pages into the WAL over and over within the one big transaction.
SQLITE_CACHE_KIB = 256 * 1024

# Rows per INSERT on PostgreSQL, which allows 65,535 parameters per statement
# (about 26 columns × 2,000). SQLite lowers it to its own limit by itself.
BULK_BATCH_SIZE = 2_000


def full_row_getter(
    model: type[models.Model], columns: tuple[str, ...]
) -> tuple[list[models.Field], Callable[[tuple], tuple]]:
    """The model's concrete fields and a function turning a batch row into a value per field.

    Columns the batch does not carry get the field's default (computed once),
    so a field added to a model later with a default does not break the demo.
    """
    fields = list(model._meta.concrete_fields)
    attnames = [f.attname for f in fields]
    unknown = [c for c in columns if c not in attnames]
    if unknown:
        raise ValueError(f"{model.__name__} has no column(s) {', '.join(unknown)}")
    if tuple(attnames) == columns:
        return fields, lambda row: row
    missing = [f for f in fields if f.attname not in columns]
    defaults = tuple(f.get_default() for f in missing)
    positions = [
        columns.index(f.attname) if f.attname in columns else len(columns) + missing.index(f)
        for f in fields
    ]
    getter = itemgetter(*positions)
    return fields, lambda row: getter(row + defaults)


def next_ids(using: str = "default") -> dict[type[models.Model], int]:
    """For each demo model, one more than the largest id in use (1 for an empty table)."""
    return {
        model: (model.objects.using(using).aggregate(top=Max("pk"))["top"] or 0) + 1
        for model in MODELS
    }


def reset_sequences(using: str = "default") -> None:
    """Move PostgreSQL's id sequences past the explicit ids; a no-op on SQLite."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), list(MODELS))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


@contextmanager
def _large_sqlite_cache(using: str) -> Iterator[None]:
    """Raise SQLite's page cache for the duration; nothing on other databases."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before):d}")


def write_with_django(
    batches: Iterable[Batch],
    *,
    total: int | None = None,
    progress: bool = True,
    using: str = "default",
) -> dict[type[models.Model], int]:
    """Write the batches with `bulk_create` in one transaction; return rows per model.

    Instances are built positionally (the fast path of `Model.__init__`);
    the progress bar goes to stderr and only shows on a terminal.
    """
    counts: dict[type[models.Model], int] = {}
    getters: dict[tuple[type[models.Model], tuple[str, ...]], Callable[[tuple], tuple]] = {}
    bar = tqdm(
        total=total, unit="rows", unit_scale=True, file=sys.stderr,
        disable=None if progress else True, dynamic_ncols=True,
    )  # fmt: skip
    with bar, _large_sqlite_cache(using), transaction.atomic(using=using):
        for batch in batches:
            key = (batch.model, batch.columns)
            if key not in getters:
                getters[key] = full_row_getter(batch.model, batch.columns)[1]
            full_row = getters[key]
            model = batch.model
            objs = [model(*full_row(row)) for row in batch.rows]
            model.objects.using(using).bulk_create(objs, batch_size=BULK_BATCH_SIZE)
            counts[model] = counts.get(model, 0) + len(objs)
            bar.set_description(model._meta.model_name, refresh=False)
            bar.update(len(objs))
        reset_sequences(using)
    return counts
