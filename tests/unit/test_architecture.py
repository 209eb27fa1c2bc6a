"""The layout's rules, read off the source: which module may import which, and where DoubleML is touched.

Every import is counted, at module level or inside a function (a lazy import is still a
dependency); only ``if TYPE_CHECKING:`` blocks, which never run, are left out. The rules deny by
default: a subpackage may import only the groups :data:`ALLOWED` names for it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "pydmlserverless"

#: What each part of the package is, by module path prefix (the longest prefix wins).
GROUPS = {
    "pydmlserverless": "root",
    "pydmlserverless.__main__": "cli",
    "pydmlserverless.cli": "cli",
    "pydmlserverless.errors": "leaves",
    "pydmlserverless._version": "leaves",
    "pydmlserverless._lazy": "leaves",
    "pydmlserverless._checks": "leaves",
    "pydmlserverless.worker": "worker",
    "pydmlserverless.backends": "backends",
    "pydmlserverless.core": "core",
    "pydmlserverless.tuning": "tuning",
    "pydmlserverless.planner": "planner",
    "pydmlserverless.doubleml": "doubleml",
    "pydmlserverless.doubleml.registry": "registry",
    "pydmlserverless.datasets": "datasets",
    "pydmlserverless.r": "r",
    "pydmlserverless.testing": "testing",
}

#: The groups each group may import (besides itself). Everything else is refused.
ALLOWED = {
    "leaves": {"leaves"},
    "registry": set(),
    "worker": {"leaves"},
    "backends": {"leaves", "worker"},
    "core": {"leaves", "worker", "backends"},
    "tuning": {"leaves", "worker", "backends", "core"},
    "planner": {"leaves", "worker", "backends", "core"},
    "doubleml": {"leaves", "worker", "backends", "core", "tuning", "planner", "registry"},
    "datasets": {"leaves", "doubleml"},
    "r": {"leaves", "worker", "backends", "core", "tuning", "planner", "doubleml", "registry", "datasets"},
    "cli": {"leaves", "root", "doubleml", "registry", "datasets"},
    "root": {"leaves", "registry"},
    "testing": {"leaves", "worker"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(path: Path, typing_too: bool = False) -> set[str]:
    """Absolute names of every module ``path`` imports (``if TYPE_CHECKING:`` blocks left out unless ``typing_too``)."""
    tree = ast.parse(path.read_text())
    skipped = set() if typing_too else _type_checking_lines(tree)
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skipped:
            continue
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


PACKAGE_MODULES = {_module_name(path): path for path in _modules(PACKAGE)}


def group_of(module: str) -> str | None:
    """The group of a package module (None for anything outside the package)."""
    best = None
    for prefix in GROUPS:
        if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best)):
            best = prefix
    return GROUPS[best] if best is not None else None


def _internal(imported: str) -> str | None:
    """The package module an import names (its longest prefix that is a module), or None."""
    parts = imported.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in PACKAGE_MODULES:
            return candidate
    return None


def test_the_import_reader_resolves_relative_imports_and_leaves_out_type_checking_blocks():
    found = imports_of(PACKAGE / "backends" / "local" / "entry_point.py")
    assert {
        "pydmlserverless.worker.protocol",
        "pydmlserverless.worker.execute",
        "pydmlserverless.worker.store",
    } <= found
    assert "pydmlserverless.doubleml.models" not in imports_of(PACKAGE / "__init__.py")
    assert "pydmlserverless.doubleml.models" in imports_of(PACKAGE / "__init__.py", typing_too=True)


def test_every_module_belongs_to_a_group():
    assert [m for m in PACKAGE_MODULES if group_of(m) is None] == []


def test_every_import_between_groups_is_allowed():
    """Deny by default: the worker knows nothing of the client; engines know no model; nothing imports the R bridge."""
    violations = []
    for module, path in PACKAGE_MODULES.items():
        mine = group_of(module)
        assert mine is not None
        for imported in sorted(imports_of(path)):
            target = _internal(imported)
            if target is None or target == module:
                continue
            theirs = group_of(target)
            if theirs != mine and theirs not in ALLOWED[mine]:
                violations.append(f"{module} ({mine}) imports {target} ({theirs})")
    assert violations == []


def test_no_import_cycle():
    graph = {
        module: {t for i in imports_of(path) if (t := _internal(i)) is not None and t != module}
        for module, path in PACKAGE_MODULES.items()
    }
    # a package's submodule imports its package's __init__ implicitly; a package __init__ that imports its
    # submodules (re-exports) is the usual layout, not a cycle
    for module in graph:
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt) :] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_no_module_outside_the_doubleml_subpackage_imports_doubleml():
    outside = [
        f"{module} imports {imported}"
        for module, path in PACKAGE_MODULES.items()
        if group_of(module) not in ("doubleml", "registry")
        for imported in imports_of(path, typing_too=True)
        if imported == "doubleml" or imported.startswith("doubleml.")
    ]
    assert outside == []


def _doubleml_private_names() -> set[str]:
    """Every private attribute, method and module DoubleML's own source defines (``self._x = ``, ``def _x``)."""
    import doubleml

    names: set[str] = set()
    for path in Path(doubleml.__file__).parent.rglob("*.py"):
        text = path.read_text(errors="replace")
        names.update(re.findall(r"self\.(_[a-z][A-Za-z0-9_]*)\s*=", text))
        names.update(re.findall(r"def (_[a-zA-Z][A-Za-z0-9_]*)\(", text))
        if path.stem.startswith("_") and path.stem != "__init__":
            names.add(path.stem)
    return names


#: Private names this package gives its own objects that DoubleML's source happens to define too
#: (none so far: a method of ours that shares a DoubleML private name would override it).
OWN_NAMES: set[str] = set()


def test_only_the_compatibility_module_names_doubleml_s_private_attributes():
    private = _doubleml_private_names() - OWN_NAMES
    assert {"_dml_data", "_predict_method", "_smpls_inner", "_tune_optuna"} <= private
    found = []
    for module, path in PACKAGE_MODULES.items():
        if module == "pydmlserverless.doubleml._compat":
            continue
        tree = ast.parse(path.read_text())
        # a method of a class: overriding DoubleML's private method (a module's own function is its own)
        methods = {
            id(item)
            for cls in ast.walk(tree)
            if isinstance(cls, ast.ClassDef)
            for item in cls.body
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        for node in ast.walk(tree):
            named = None
            if isinstance(node, ast.Attribute) and node.attr in private:
                named = node.attr
            elif id(node) in methods and getattr(node, "name", "") in private:
                named = f"def {getattr(node, 'name', '')}"
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("doubleml"):
                hidden = [a.name for a in node.names if a.name.startswith("_")]
                if hidden or any(part.startswith("_") for part in (node.module or "").split(".")):
                    named = f"from {node.module} import {', '.join(a.name for a in node.names)}"
            if named:
                found.append(f"{module}:{node.lineno} {named}")
    assert found == []


def test_bench_never_imports_tests_and_the_package_never_imports_its_testing_helpers():
    bench = [f"{p}: {i}" for p in _modules(REPO / "bench") for i in imports_of(p) if i.split(".")[0] == "tests"]
    assert bench == []
    package = [
        f"{module}: {i}"
        for module, path in PACKAGE_MODULES.items()
        if group_of(module) != "testing"
        for i in imports_of(path, typing_too=True)
        if i.startswith("pydmlserverless.testing") or i.split(".")[0] == "tests"
    ]
    assert package == []


@pytest.mark.parametrize("module", ["pydmlserverless.worker.protocol"])
def test_the_wire_contract_is_a_leaf(module):
    """protocol imports the errors and the standard library only."""
    imported = imports_of(PACKAGE_MODULES[module])
    assert {m for m in imported if m.startswith("pydmlserverless")} <= {
        "pydmlserverless.errors",
        "pydmlserverless.errors.ProtocolError",
    }
    assert not {m for m in imported if m.split(".")[0] in ("numpy", "pandas", "doubleml", "sklearn")}


def test_the_worker_imports_neither_pandas_nor_doubleml():
    """The Lambda layer holds neither (sam/build_layer.py installs the worker subpackage only)."""
    found = [
        f"{module}: {i}"
        for module, path in PACKAGE_MODULES.items()
        if group_of(module) == "worker"
        for i in imports_of(path, typing_too=True)
        if i.split(".")[0] in ("pandas", "doubleml", "tqdm", "joblib")
    ]
    assert found == []


#: A function body (docstring left out) longer than this says why in a ``# Long:`` comment.
MAX_FUNCTION_LINES = 60


def _long_functions_without_a_reason(source: str) -> list[str]:
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        first = node.body[0]
        has_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
        docstring = first.end_lineno - first.lineno + 1 if has_docstring else 0
        if node.end_lineno - node.lineno + 1 - docstring <= MAX_FUNCTION_LINES:
            continue
        body = lines[node.lineno - 1 : node.end_lineno]
        if not any(line.strip().startswith("# Long:") for line in body):
            found.append(f"{node.name} (line {node.lineno})")
    return found


def test_the_long_function_check_finds_a_long_function_and_accepts_a_reason():
    long_body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES + 1))
    assert _long_functions_without_a_reason(f'def f():\n    """Doc."""\n{long_body}') == ["f (line 1)"]
    assert _long_functions_without_a_reason(f"def f():\n    # Long: a table\n{long_body}") == []
    short_body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES - 1))
    assert _long_functions_without_a_reason(f'def f():\n    """Doc\n\n    more doc.\n    """\n{short_body}') == []


def test_no_function_over_sixty_lines_without_a_comment_saying_why():
    found = {
        name: reasons
        for name, path in PACKAGE_MODULES.items()
        if (reasons := _long_functions_without_a_reason(path.read_text()))
    }
    assert found == {}
