"""The layers' arrows point one way (README, Architecture), checked on the source itself.

identity/ and connectors/ know nothing of hub/, dags/ or the emulators; workers/ (the
process plumbing) knows nothing of any of them, identity/ and connectors/ included; hub/ reaches no
emulator, neither by an import statement nor by a module name handed to importlib (the
`relhub emulate` command finds them through entry points); hub/ takes nothing private
(a name beginning with `_`) from another package, and from identity/ only the names
`identity/__init__.py` exports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DYNAMIC_IMPORTS = {"import_module", "__import__", "find_spec"}


@dataclass(frozen=True)
class Import:
    where: str  # path:line
    module: str  # the module imported from (absolute)
    names: tuple[str, ...]  # the names taken from it (empty for `import module`)


def imports_of(path: Path, root: Path = REPO) -> Iterator[Import]:
    """Every import in a file, at any depth, and every constant module name given to importlib."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).parent.parts)
    for node in ast.walk(tree):
        where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(where, alias.name, ())
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            yield Import(where, module, tuple(alias.name for alias in node.names))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in DYNAMIC_IMPORTS:
                yield Import(where, module_text(node.args[0]), ())


def module_text(node: ast.expr) -> str:
    """A module name as written: a constant, or the constant head of an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
    return ""


def package_imports(package: str) -> list[Import]:
    return [found for path in sorted((REPO / package).rglob("*.py")) for found in imports_of(path)]


def top(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("package", ["identity", "connectors"])
def test_engine_and_connectors_know_nothing_above_them(package: str) -> None:
    wrong = [
        f"{found.where}: {found.module}"
        for found in package_imports(package)
        if top(found.module) in {"hub", "dags", "emulators"}
    ]
    assert wrong == []


def test_the_worker_layer_knows_nothing_above_it() -> None:
    """workers/ is process plumbing below hub/ and identity/, which both use it."""
    wrong = [
        f"{found.where}: {found.module}"
        for found in package_imports("workers")
        if top(found.module) in {"hub", "identity", "connectors", "emulators", "dags"}
    ]
    assert wrong == []


def test_hub_reaches_no_emulator() -> None:
    wrong = [
        f"{found.where}: {found.module}"
        for found in package_imports("hub")
        if found.module.startswith("emulators")
    ]
    assert wrong == []


def test_hub_takes_nothing_private_from_another_package() -> None:
    ours = {"identity", "connectors", "emulators", "dags", "workers"}
    wrong = [
        f"{found.where}: {found.module} {name}".rstrip()
        for found in package_imports("hub")
        if top(found.module) in ours
        for name in (*found.module.split(".")[1:], *found.names)
        if name.startswith("_") and not name.startswith("__")
    ]
    assert wrong == []


def test_the_checker_sees_what_it_forbids(tmp_path: Path) -> None:
    """The checks above pass because the code is clean, not because the parser is blind."""
    sample = tmp_path / "hub" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(
        "import importlib\n"
        "def f():\n"
        "    from identity.engine import _chunks\n"
        "    from .steps import run\n"
        "    importlib.import_module(f'emulators.{1}')\n",
        encoding="utf-8",
    )
    found = list(imports_of(sample, tmp_path))
    assert Import("hub/sample.py:3", "identity.engine", ("_chunks",)) in found
    assert Import("hub/sample.py:4", "hub.steps", ("run",)) in found
    assert Import("hub/sample.py:5", "emulators.", ()) in found


def test_hub_takes_from_identity_only_what_the_engine_exports() -> None:
    """`identity/__init__.py` is the engine's surface: a name the hub needs is exported
    there, whichever of the engine's modules the hub names it from."""
    import identity

    wrong = [
        f"{found.where}: {found.module} {name}"
        for found in package_imports("hub")
        if top(found.module) == "identity"
        for name in found.names
        if name not in identity.__all__
    ]
    assert wrong == []
