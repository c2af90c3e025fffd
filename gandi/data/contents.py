"""What a run's data files are called when their path cannot say it: a hash of their bytes.
Other images put in the same folder, or a table rewritten at the same path, are other data: the
run's data fingerprint (settings.validation.data_record's `contents`) hashes them too, and
gandi.report never averages runs on them together.
"""
from __future__ import annotations

from pathlib import Path


def files_hash(root: Path, paths) -> str:
    """SHA-256 (hex) over each file's path relative to `root` and its bytes, in sorted order:
    what a run's data are called when a path alone cannot say it (other images put in the same
    folder are other data). Read in chunks: memory holds one chunk, not a folder's worth."""
    import hashlib
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with open(path, "rb") as stream:
            while chunk := stream.read(2 ** 20):
                digest.update(chunk)
        digest.update(b"\0")  # (a, bc) and (ab, c) differ
    return digest.hexdigest()
