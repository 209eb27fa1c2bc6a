"""Build the AWS Lambda dependency layer of pydmlserverless.

The layer holds numpy, scipy and scikit-learn (with their dependencies joblib and
threadpoolctl) as manylinux wheels for the Lambda runtime python3.12 on arm64 or x86_64,
and the package pydmlserverless itself. Neither Docker nor a local python3.12 is needed:
pip downloads the wheels for the target platform with ``--platform``/``--python-version``
and ``--only-binary=:all:``. boto3 comes with the Lambda runtime and is not installed.

numpy, scipy and scikit-learn are pinned to the versions installed in the interpreter that
runs the build, because the cross-fitted predictions depend on them; ``--numpy-version``,
``--scipy-version`` and ``--scikit-learn-version`` override the pins.

After the install, test folders, bytecode caches, Cython sources, C headers and static
libraries are removed and the shared objects are stripped. The unzipped size of the layer
plus the function code (``lambda/``) is checked against Lambda's 250 MB limit.

One module a step: `target` (architectures, platform tags), `pins` (versions), `wheels`
(pip installs), `prune`, `elf` (machine and alignment checks), `strip`, `size` (measure and
limit), `manifest` (the layer folder's marker), `archive` (zip), `summary`, `builder` (the
steps in order) and `cli`. The script ``sam/build_layer.py`` runs `cli.main`.

Examples
--------
Build the arm64 layer into ``sam/.build/layer`` (the folder ``sam/template.yaml`` uses)::

    python sam/build_layer.py --arch arm64

Build the x86_64 layer and also write a zip archive::

    python sam/build_layer.py --arch x86_64 --zip
"""

from .archive import write_zip
from .builder import build
from .cli import DEFAULT_FUNCTION_DIR, DEFAULT_OUT, main, parse_args
from .elf import check_elf_machines, elf_machine, find_elf_files, load_segments_aligned
from .errors import LayerBuildError
from .manifest import MANIFEST_NAME, prepare_out_dir, write_manifest
from .pins import check_pins, installed_version, requirement_specs, resolve_pins
from .prune import prune_tree
from .size import LAMBDA_UNZIPPED_LIMIT, check_size_limit, directory_size
from .strip import StripReport, strip_binaries, strip_file, strip_tool_candidates
from .summary import BuildResult
from .target import platform_tags

__all__ = [
    "DEFAULT_FUNCTION_DIR",
    "DEFAULT_OUT",
    "LAMBDA_UNZIPPED_LIMIT",
    "MANIFEST_NAME",
    "BuildResult",
    "LayerBuildError",
    "StripReport",
    "build",
    "check_elf_machines",
    "check_pins",
    "check_size_limit",
    "directory_size",
    "elf_machine",
    "find_elf_files",
    "installed_version",
    "load_segments_aligned",
    "main",
    "parse_args",
    "platform_tags",
    "prepare_out_dir",
    "prune_tree",
    "requirement_specs",
    "resolve_pins",
    "strip_binaries",
    "strip_file",
    "strip_tool_candidates",
    "write_manifest",
    "write_zip",
]
