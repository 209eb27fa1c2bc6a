"""The Lambda target: its architectures, Python version and the manylinux tags pip may install."""

from __future__ import annotations

#: Python version of the runtime that sam/template.yaml declares (python3.12).
DEFAULT_PYTHON_VERSION = "3.12"
#: Lambda architecture name -> ELF / manylinux machine name.
ARCH_MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}
#: glibc range of the manylinux tags accepted: manylinux2014 (2.17) up to Amazon Linux 2023 (2.34),
#: the OS of the python3.12 runtime.
GLIBC_MINOR_RANGE = (17, 34)


def platform_tags(arch: str, glibc_minor_range: tuple[int, int] = GLIBC_MINOR_RANGE) -> list[str]:
    """Return the manylinux platform tags pip may accept for a Lambda architecture.

    Parameters
    ----------
    arch : {'arm64', 'x86_64'}
        Lambda architecture.
    glibc_minor_range : tuple of int
        Lowest and highest glibc minor version (major 2) of the tags.

    Returns
    -------
    list of str
        ``manylinux2014_<machine>`` followed by ``manylinux_2_<minor>_<machine>`` tags.

    Raises
    ------
    ValueError
        If `arch` is not a Lambda architecture.
    """
    if arch not in ARCH_MACHINES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {sorted(ARCH_MACHINES)}")
    machine = ARCH_MACHINES[arch]
    low, high = glibc_minor_range
    return [f"manylinux2014_{machine}"] + [f"manylinux_2_{m}_{machine}" for m in range(low, high + 1)]
