"""Canary scans: every text, character, JSON and search-vector column (compared without case:
search vectors lowercase their words) of every table of a tenant's schema
(found through information_schema, so a table added later is scanned too), every Redis key, and
the tenant's storage folder."""

from __future__ import annotations

from pathlib import Path

import redis
from django.conf import settings
from django.db import connection
from psycopg import sql


def database_hits(schema, canaries):
    """``table.column`` of each column holding one of ``canaries`` (as text, in any case)."""
    patterns = [f"%{c}%" for c in canaries]
    hits = []
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.table_name, c.column_name FROM information_schema.columns c
               JOIN information_schema.tables t
                 ON t.table_schema = c.table_schema AND t.table_name = c.table_name
               WHERE c.table_schema = %s AND t.table_type = 'BASE TABLE'
                 AND (c.data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY')
                      OR c.udt_name = 'tsvector')""",
            [schema],
        )
        columns = cursor.fetchall()
        assert len(columns) > 50  # the scan reaches the whole schema, not a few tables
        for table, column in columns:
            cursor.execute(
                sql.SQL("SELECT count(*) FROM {}.{} WHERE {}::text ILIKE ANY(%s)").format(
                    sql.Identifier(schema), sql.Identifier(table), sql.Identifier(column)
                ),
                [patterns],
            )
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    return hits


def redis_hits(canaries):
    """Keys (any tenant's, the broker's, the channel layer's) whose content holds a canary."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    needles = [c.encode() for c in canaries]
    hits = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"string":
            parts = [client.get(key) or b""]
        elif kind == b"hash":
            parts = [b"%s=%s" % pair for pair in client.hgetall(key).items()]
        elif kind == b"list":
            parts = client.lrange(key, 0, -1)
        elif kind == b"set":
            parts = list(client.smembers(key))
        elif kind == b"zset":
            parts = client.zrange(key, 0, -1)
        elif kind == b"stream":
            parts = [b"".join(k + v for k, v in f.items()) for _, f in client.xrange(key)]
        else:
            parts = []
        if any(n in key or any(n in p for p in parts) for n in needles):
            hits.append(key.decode(errors="replace"))
    return hits


def storage_hits(schema, canaries):
    """Files under the tenant's storage folder whose name or bytes hold a canary."""
    root = Path(settings.MEDIA_ROOT) / "tenants" / schema
    needles = [c.encode() for c in canaries]
    hits = []
    for path in root.rglob("*") if root.exists() else []:
        if path.is_file():
            data = path.read_bytes()
            if any(n in data or n in str(path).encode() for n in needles):
                hits.append(str(path))
    return hits
