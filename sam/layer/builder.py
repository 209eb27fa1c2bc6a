"""The build: the steps from an empty folder to a checked layer, in order."""

from __future__ import annotations

import argparse
from pathlib import Path

from .archive import write_zip
from .elf import check_elf_machines, find_elf_files
from .errors import LayerBuildError
from .manifest import prepare_out_dir, write_manifest
from .pins import PINNED_DISTRIBUTIONS, check_pins, read_distributions, requirement_specs, resolve_pins
from .prune import prune_tree
from .size import check_size_limit, directory_size
from .strip import strip_binaries
from .summary import BuildResult, print_summary
from .target import DEFAULT_PYTHON_VERSION, platform_tags
from .wheels import install_package, install_wheels, require_package_source


def build(args: argparse.Namespace) -> BuildResult:
    """Build the layer described by the options and print a summary.

    Parameters
    ----------
    args : argparse.Namespace
        As returned by `parse_args`.

    Returns
    -------
    BuildResult
        The figures of the build.

    Raises
    ------
    LayerBuildError
        If a step fails or the size is over Lambda's limit.
    """
    overrides = {name: getattr(args, name.replace("-", "_") + "_version") for name in PINNED_DISTRIBUTIONS}
    pins = resolve_pins(overrides)
    for name, version in pins.items():
        source = f"--{name}-version" if overrides[name] else "installed here"
        print(f"pinning {name}=={version} ({source})")
    if args.python_version != DEFAULT_PYTHON_VERSION:
        print(
            f"note: sam/template.yaml declares python{DEFAULT_PYTHON_VERSION}; this layer targets "
            f"python{args.python_version}"
        )
    if args.no_package:
        print(
            "--no-package: pydmlserverless is NOT installed into this layer; the function cannot import "
            "it unless another layer provides it"
        )
    else:
        require_package_source(args.package_dir)

    out = args.out.resolve()
    site = prepare_out_dir(out)
    install_wheels(site, args.arch, args.python_version, requirement_specs(pins, args.extra))
    if not args.no_package:
        install_package(site, args.package_dir)
    installed_size = directory_size(site)

    pruned_entries, pruned_bytes = prune_tree(site)
    elf_files = find_elf_files(site)
    check_elf_machines(elf_files, args.arch, out)
    report = None if args.no_strip else strip_binaries(elf_files, out)

    distributions = read_distributions(site)
    check_pins(pins, distributions)
    if not args.no_package and not any(name.lower() == "pydmlserverless" for name in distributions):
        raise LayerBuildError(f"{args.package_dir} did not install a distribution named pydmlserverless")
    write_manifest(
        out,
        {
            "architecture": args.arch,
            "python_version": args.python_version,
            "platform_tags": platform_tags(args.arch),
            "pinned": pins,
            "distributions": distributions,
            "pydmlserverless_included": not args.no_package,
            "stripped": not args.no_strip,
        },
    )

    if args.function_dir.is_dir():
        function_size = directory_size(args.function_dir)
    else:
        print(f"warning: function folder {args.function_dir} not found; counting 0 bytes for it")
        function_size = 0
    result = BuildResult(
        out=out,
        distributions=distributions,
        installed_size=installed_size,
        pruned_entries=pruned_entries,
        pruned_bytes=pruned_bytes,
        elf_count=len(elf_files),
        strip=report,
        layer_size=directory_size(out),
        function_size=function_size,
    )
    if args.zip is not None:
        result.zip_path = Path(args.zip) if args.zip else out.with_name(f"{out.name}-{args.arch}.zip")
        result.zip_size = write_zip(out, result.zip_path)

    print_summary(args, result)
    check_size_limit(result.total_size)
    return result
