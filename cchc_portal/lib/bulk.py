"""Bulk writes for the paths that insert tens of thousands of rows (catalogue import, the national
benchmark dataset)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db import connection


def copy_rows(table: str, columns: list[str], rows: list[list[Any]]) -> None:
    """PostgreSQL COPY of ready rows (None → NULL, "" stays an empty string)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NOTNULL)
    writer.writerows(rows)
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer)
