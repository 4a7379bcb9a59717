"""Which Python a benchmark ran on: its version and how it was built.

pyenv builds CPython without profile-guided and link-time optimisation; Home Assistant's
container images build it with both, which runs the scan pipeline about 8 % faster. The
benchmarks say which one they ran on, so their figures can be compared.
"""

from __future__ import annotations

import platform
import sysconfig

_OPTIMISATIONS = (("--enable-optimizations", "PGO"), ("--with-lto", "LTO"))


def described() -> str:
    """Say the version and its optimisations, as in "Python 3.13.5 built with PGO+LTO"."""
    flags = str(sysconfig.get_config_var("CONFIG_ARGS") or "")
    used = [name for flag, name in _OPTIMISATIONS if flag in flags]
    build = f"built with {'+'.join(used)}" if used else "built without PGO or LTO"
    return f"Python {platform.python_version()} {build}"
