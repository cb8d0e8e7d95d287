"""The store: results folders written atomically (claimed, filled under a temporary name,
renamed when complete), Parquet and JSON read back with their sizes and shapes checked.
Imports only the error family (``sim.errors``); every layer above may use it."""

from sim.store.chunks import arm_part, arms_stored, read_request, rows_of, stored
from sim.store.digests import Difference, difference
from sim.store.folders import (
    CHUNKS,
    CLAIM_TRIES,
    KINDS,
    MARKER,
    MAX_READ,
    PARTIAL,
    REQUEST,
    Folder,
    claim,
    clean_json,
    file_digest,
    git_commit,
    held,
    kind_of,
    make_dirs,
    manifest,
    provenance,
    read_bytes,
    read_json,
    read_manifest,
    read_table,
    record_written,
    refuse_existing,
    refuse_links,
    requirements,
    seal,
    system,
    timestamped,
    versions,
    write_bytes,
    write_json,
    write_new,
    write_parquet,
    write_text,
    written,
)
from sim.store.inputs import Unreadable, read_input, stream_input
from sim.store.locks import LOCK
from sim.store.memory import release, use_system_allocator

__all__ = ["CHUNKS", "REQUEST", "arm_part", "arms_stored", "read_request", "rows_of", "stored",
           "Difference", "difference", "LOCK",
           "CLAIM_TRIES", "KINDS", "MARKER", "MAX_READ", "PARTIAL", "Folder", "claim",
           "clean_json", "file_digest", "git_commit", "held", "kind_of", "make_dirs", "manifest",
           "provenance", "read_bytes", "read_json", "read_manifest", "read_table",
           "record_written", "refuse_existing", "release", "refuse_links", "requirements", "seal",
           "system", "timestamped", "Unreadable", "read_input", "stream_input",
           "versions", "write_bytes",
           "write_json", "write_new", "write_parquet", "write_text", "written"]

use_system_allocator()  # before any Arrow buffer is made (sim.store.memory says why)
