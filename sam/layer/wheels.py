"""pip installs into the layer: manylinux wheels for the target platform, then pydmlserverless."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .errors import LayerBuildError
from .target import platform_tags

#: ``pip install`` and the options every install into the layer starts with.
PIP_INSTALL = ("install", "--disable-pip-version-check", "--no-input", "--no-compile")
#: Left out when the package source is copied for its build: VCS data, build outputs, caches,
#: virtual environments and the layer builder's own output.
SOURCE_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".build",
    ".aws-sam",
    ".venv",
    "venv",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    "*.zip",
    "*.tar.gz",
)


def require_package_source(package_dir: Path) -> None:
    """Raise unless a folder holds a Python project (``pyproject.toml`` or ``setup.py``).

    Parameters
    ----------
    package_dir : Path
        Source folder of pydmlserverless.

    Raises
    ------
    LayerBuildError
        If neither file is there.
    """
    package_dir = Path(package_dir).resolve()
    if not ((package_dir / "pyproject.toml").is_file() or (package_dir / "setup.py").is_file()):
        raise LayerBuildError(
            f"no pyproject.toml or setup.py in {package_dir}: pass --package-dir DIR, or --no-package "
            "to build a layer without pydmlserverless (the function cannot import it then)"
        )


def pip_install(args: list[str]) -> None:
    """Run ``pip install`` of this interpreter with the options that every install here shares.

    The shared options turn off prompts, pip's self-update check and bytecode compilation
    (the layer is pruned of bytecode anyway).

    Parameters
    ----------
    args : list of str
        Arguments after those options.

    Raises
    ------
    LayerBuildError
        If pip exits non-zero.
    """
    command = [sys.executable, "-m", "pip", *PIP_INSTALL, *args]
    print("$ " + " ".join(command), flush=True)
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise LayerBuildError(f"pip failed with exit code {result.returncode}: {' '.join(command)}")


def install_wheels(site: Path, arch: str, python_version: str, requirements: list[str]) -> None:
    """Install manylinux wheels for the target platform into the layer.

    Parameters
    ----------
    site : Path
        The layer's ``python/`` folder.
    arch : {'arm64', 'x86_64'}
        Lambda architecture.
    python_version : str
        Runtime Python version, e.g. ``'3.12'``.
    requirements : list of str
        Requirement specifiers.
    """
    platform_args = [arg for tag in platform_tags(arch) for arg in ("--platform", tag)]
    pip_install(
        [
            "--target",
            str(site),
            "--implementation",
            "cp",
            "--python-version",
            python_version,
            "--only-binary=:all:",
            *platform_args,
            *requirements,
        ]
    )


def install_package(site: Path, package_dir: Path) -> None:
    """Install pydmlserverless (pure Python) from its source folder into the layer.

    The source is copied to a temporary folder first, so that the build leaves no ``build/``
    or ``*.egg-info`` folder in the repository and no stale file from an earlier build gets
    into the layer.

    Parameters
    ----------
    site : Path
        The layer's ``python/`` folder.
    package_dir : Path
        Folder with the package's ``pyproject.toml``.

    Raises
    ------
    LayerBuildError
        If pip fails (`build` checks the folder with `require_package_source` beforehand).
    """
    with tempfile.TemporaryDirectory(prefix="pydmlserverless-src-") as tmp:
        source = Path(tmp) / "src"
        shutil.copytree(Path(package_dir).resolve(), source, ignore=SOURCE_COPY_IGNORE)
        # --upgrade: the wheels' console scripts already made python/bin (pruned later); without
        # it pip refuses to merge into existing folders and warns.
        pip_install(
            [
                "--no-deps",
                "--upgrade",
                "--target",
                str(site),
                str(source),
            ]
        )
    _forget_source_location(site)


def _forget_source_location(site: Path) -> None:
    """Drop pip's record of the temporary source folder, so equal sources give an equal layer."""
    for dist_info in site.glob("pydmlserverless-*.dist-info"):
        (dist_info / "direct_url.json").unlink(missing_ok=True)
        record = dist_info / "RECORD"
        if record.exists():
            lines = record.read_text().splitlines(keepends=True)
            record.write_text("".join(line for line in lines if "/direct_url.json," not in line))
