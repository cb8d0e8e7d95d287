"""The store: results folders written atomically (claimed, filled under a temporary name,
renamed when complete), Parquet and JSON read back with their sizes and shapes checked.
Imports only the error family (``sim.errors``); every layer above may use it."""

from sim.store.folders import (
    CLAIM_TRIES,
    KINDS,
    MARKER,
    MAX_READ,
    PARTIAL,
    Folder,
    claim,
    clean_json,
    git_commit,
    kind_of,
    make_dirs,
    manifest,
    provenance,
    read_bytes,
    read_json,
    read_manifest,
    read_table,
    requirements,
    system,
    timestamped,
    versions,
    write_json,
    write_parquet,
    write_text,
)

__all__ = ["CLAIM_TRIES", "KINDS", "MARKER", "MAX_READ", "PARTIAL", "Folder", "claim",
           "clean_json", "git_commit", "kind_of", "make_dirs", "manifest", "provenance",
           "read_bytes", "read_json", "read_manifest", "read_table", "requirements", "system",
           "timestamped", "versions", "write_json", "write_parquet", "write_text"]
