"""The leads' full-text search index (GIN over Lead.search_document) and its pending list.

GIN indexes take new entries into a pending list and merge them into the index proper in bulk.
Merging is the costly half of writing a lead (measured: ~16 of ~30 database microseconds per
imported lead), so the index keeps a pending list of up to PENDING_LIST_KB and merges it here: after
every import, and once a minute for leads written one by one. Searches read the pending list as
well as the index, so a lead is found the moment it is committed; a long pending list only makes
searches slower until it is merged. If merging stops (no worker), the writer that fills the list
merges it, as PostgreSQL does by default, and autovacuum merges it too.
"""

import logging
import time

from django.db import connection

logger = logging.getLogger(__name__)
INDEX_NAME = "lead_search"
PENDING_LIST_KB = 65536  # the index's gin_pending_list_limit (migration leads 0005)


def merge_pending() -> int:
    """Merge the pending list into the index; returns the pending-list pages it emptied. Waits for a
    merge another process is running, then merges what is left."""
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [INDEX_NAME])
        pages = cursor.fetchone()[0]
    if pages:
        logger.info("search index: merged %s pending pages in %.2fs", pages, time.monotonic() - started)
    return pages
