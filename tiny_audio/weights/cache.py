"""Where converted weights live, and how files get there without ever being half-written.

The cache folder is ``$TINY_AUDIO_CACHE`` when set, else the platform's user cache
folder (``~/.cache/tiny-audio`` on Linux). Every write goes to a temporary name in the
same folder and is renamed into place, so an interrupted conversion leaves nothing
that looks finished.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import platformdirs

CACHE_ENV = "TINY_AUDIO_CACHE"
COMPLETE_MARKER = ".complete"  # written last into a converted model folder


def cache_dir() -> Path:
    """The root of tiny_audio's cache (created on first use)."""
    root = Path(os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("tiny-audio"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def model_dir(model_id: str) -> Path:
    """The cache folder for one converted model, e.g. ``openai--whisper-base``."""
    return cache_dir() / "models" / model_id.replace("/", "--")


def is_complete(folder: Path) -> bool:
    """True when ``folder`` holds a finished conversion."""
    return (folder / COMPLETE_MARKER).is_file()


@contextlib.contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Build a folder under a temporary name; rename it to ``final`` only on success.

    Yields the temporary folder to write into. If the body raises, the temporary
    folder is removed and ``final`` is left as it was. When another process finished
    the same folder first, its result is kept and ours is dropped.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    try:
        yield tmp
        (tmp / COMPLETE_MARKER).write_text("ok\n")
        tmp.chmod(0o755)  # mkdtemp makes it private; the finished folder is an ordinary one
        if final.exists() and not is_complete(final):
            shutil.rmtree(final)  # debris of an older, interrupted layout
        try:
            os.rename(tmp, final)
        except OSError:
            if not is_complete(final):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the finished file is an ordinary one
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
