"""The layout's rules, read off the source: which module may import which.

Every import is counted, at module level or inside a function (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "pydmlserverless"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports."""
    tree = ast.parse(path.read_text())
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _violations(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(REPO)} imports {imported}"
        for path in paths
        for imported in sorted(imports_of(path))
        if any(imported == f or imported.startswith(f + ".") for f in forbidden)
    ]


def test_the_import_reader_resolves_relative_imports():
    found = imports_of(PACKAGE / "backends" / "local" / "entry_point.py")
    assert {
        "pydmlserverless.worker.protocol",
        "pydmlserverless.worker.execute",
        "pydmlserverless.worker.store",
    } <= found


def test_the_wire_contract_is_a_leaf():
    """protocol.py imports the errors and the standard library only."""
    imported = {m for m in imports_of(PACKAGE / "worker" / "protocol.py") if m.startswith("pydmlserverless")}
    assert imported <= {"pydmlserverless.errors", "pydmlserverless.errors.ProtocolError"}, imported
    assert not _violations([PACKAGE / "worker" / "protocol.py"], ("numpy", "pandas", "doubleml", "sklearn"))


def test_backends_never_import_doubleml_or_the_planning_side():
    forbidden = (
        "doubleml",
        "pydmlserverless.core.tasks",
        "pydmlserverless.core.fitting",
        "pydmlserverless.doubleml.adapter",
        "pydmlserverless.doubleml.models",
        "pydmlserverless.doubleml.methods",
        "pydmlserverless.doubleml.data",
        "pydmlserverless.core.staging",
    )
    assert not _violations(_modules(PACKAGE / "backends"), forbidden)


def test_the_worker_knows_neither_doubleml_nor_the_client():
    forbidden = (
        "doubleml",
        "pandas",
        "pydmlserverless.core.tasks",
        "pydmlserverless.core.fitting",
        "pydmlserverless.backends",
    )
    assert not _violations(_modules(PACKAGE / "worker"), forbidden)
    # no names from the package's __init__ (``from . import __version__`` ran upward); submodules are fine
    from_root = {
        m.rpartition(".")[2]
        for path in _modules(PACKAGE / "worker")
        for m in imports_of(path)
        if m.rpartition(".")[0] == "pydmlserverless"
    }
    assert all((PACKAGE / f"{name}.py").is_file() or (PACKAGE / name).is_dir() for name in from_root), from_root


def test_planning_never_imports_the_worker_or_doubleml():
    assert not _violations([PACKAGE / "core" / "tasks.py"], ("pydmlserverless.worker.execute", "doubleml"))


@pytest.mark.parametrize(
    "module",
    [
        "core/fitting.py",
        "core/tasks.py",
        "core/staging.py",
        "doubleml/methods.py",
        "worker/execute.py",
        "worker/protocol.py",
        "worker/codec.py",
        "worker/store.py",
    ],
)
def test_doubleml_is_known_to_the_adapter_models_and_data_only(module):
    assert not _violations([PACKAGE / module], ("doubleml",))


def test_bench_never_imports_tests_and_the_package_never_imports_its_testing_helpers():
    assert not _violations(_modules(REPO / "bench"), ("tests",))
    package = [p for p in _modules(PACKAGE) if "testing" not in p.relative_to(PACKAGE).parts]
    assert not _violations(package, ("pydmlserverless.testing", "tests"))
