"""Writes that never follow links: an exclusive temporary file beside the target, then rename.

A temporary name chosen in advance (``.NAME.tmp``) can be planted as a symlink by anyone who can
write the folder, and ``open(..., "w")`` would follow it and overwrite whatever it points to.
Here the temporary file is created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` under a random name in
the target's own folder (so the rename is atomic on the same file system), fsynced, then renamed
over the target. ``rename`` replaces a link at the target itself; it never writes through it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from heredity.errors import HeredityError


def write_atomic(path: Path | str, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` atomically; a reader sees the old or the new file, whole."""
    target = Path(path)
    if target.name in ("", ".", ".."):
        raise HeredityError(f"cannot write {target}: it is a folder, not a file name")
    if target.is_dir() and not target.is_symlink():
        raise HeredityError(f"cannot write {target}: it is a folder, not a file name")
    payload = data.encode() if isinstance(data, str) else data
    folder = target.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(16):
        tmp = folder / f".{target.name[:100]}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o644)
            break
        except FileExistsError:  # someone planted this exact random name: pick another
            continue
        except OSError as exc:
            raise HeredityError(f"cannot write {target}: {exc.strerror or exc}") from None
    else:
        raise HeredityError(f"cannot write {target}: no free temporary name in {folder}")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise HeredityError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
