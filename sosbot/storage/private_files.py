"""Files that hold residents' data are the service account's alone: folders 0700, files 0600.

The process umask is not ours to trust (a container's is often 022, which leaves the
database and the photos readable by every local user), so every folder and file holding
residents' data is created with an explicit mode, whatever the umask.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents, each one 0700; existing folders are left
    as they are (an operator's ``/srv`` is theirs to set)."""
    missing: list[Path] = []
    here = path
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)  # another process may be first
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it is missing; tighten it to 0600 if it is
    there and readable by others (a deployment from before this rule)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        tighten(path)
        return
    os.close(fd)
    os.chmod(path, FILE_MODE)


def tighten(path: Path) -> None:
    """Take group and other permissions off an existing file (no-op when it is missing)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        os.chmod(path, mode & 0o700)
        log.warning("%s was readable by other users (mode %o); now %o", path, mode,
                    mode & 0o700)
