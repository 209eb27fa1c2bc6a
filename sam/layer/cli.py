"""The command line: ``python sam/build_layer.py [options]``."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from .builder import build
from .errors import LayerBuildError
from .pins import PINNED_DISTRIBUTIONS, installed_version
from .target import ARCH_MACHINES, DEFAULT_PYTHON_VERSION

#: The repository: sam/layer/cli.py -> sam/layer -> sam -> the root.
REPO_ROOT = Path(__file__).resolve().parents[2]
#: The folder sam/template.yaml takes the layer from.
DEFAULT_OUT = REPO_ROOT / "sam" / ".build" / "layer"
#: The function code (CodeUri of sam/template.yaml), counted in the size check.
DEFAULT_FUNCTION_DIR = REPO_ROOT / "lambda"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    argparse.Namespace
        The options.
    """
    parser = argparse.ArgumentParser(
        description="Build the Lambda dependency layer (numpy, scipy, scikit-learn, pydmlserverless) "
        "from manylinux wheels, without Docker or a local python3.12.",
    )
    parser.add_argument(
        "--arch", choices=sorted(ARCH_MACHINES), default="arm64", help="Lambda architecture (default: arm64)"
    )
    parser.add_argument(
        "--python-version",
        default=DEFAULT_PYTHON_VERSION,
        help=f"runtime Python version (default: {DEFAULT_PYTHON_VERSION}, the template's python3.12)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"layer dir (default: {DEFAULT_OUT})")
    parser.add_argument(
        "--zip",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="also write a zip archive (default path: <out>-<arch>.zip)",
    )
    parser.add_argument(
        "--package-dir",
        type=Path,
        default=REPO_ROOT,
        help=f"source folder of pydmlserverless (default: {REPO_ROOT})",
    )
    parser.add_argument(
        "--no-package",
        action="store_true",
        help="do not install pydmlserverless into the layer (the function then cannot import it)",
    )
    parser.add_argument(
        "--function-dir",
        type=Path,
        default=DEFAULT_FUNCTION_DIR,
        help=f"function code counted in the size check (default: {DEFAULT_FUNCTION_DIR})",
    )
    for name in PINNED_DISTRIBUTIONS:
        parser.add_argument(
            f"--{name}-version",
            dest=name.replace("-", "_") + "_version",
            default=None,
            metavar="VERSION",
            help=f"{name} version to pin (default: the one installed here, {installed_version(name)})",
        )
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="REQUIREMENT",
        help="a further requirement to put into the layer (binary wheels only); may be repeated",
    )
    parser.add_argument("--no-strip", action="store_true", help="do not strip the shared objects")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"3\.\d{1,2}", args.python_version):
        parser.error(f"--python-version must look like 3.12, not {args.python_version!r}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 1 if the build failed or the layer is too large.
    """
    args = parse_args(argv)
    try:
        build(args)
    except LayerBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
