"""An import-linter contract for the ways around the layers that import-linter cannot see.

The layers contract reads ``import`` statements. Three other ways reach a higher app without one:

- ``apps.get_model("app", "Model")`` / ``apps.get_model("app.Model")``: a model by name;
- ``Model._meta.get_field("fk").related_model``: a model through a foreign key that points up;
- imports inside ``if TYPE_CHECKING:``, which the layers contract skips while
  ``exclude_type_checking_imports`` is on.

This contract scans the product code (the apps named in the ``layers`` contract of
``pyproject.toml``; tests and migrations excluded) and is broken when one of them reaches an app on
a higher layer than the file's own, or an independent sibling. A ``related_model`` or ``get_model``
whose target cannot be read from the source (a variable, a generic walk over relations) is
reported too: it must be resolved or listed. ``allow`` lists the accepted exceptions as
``"<module> -> <app>"`` (``*`` for any app); an entry that matches nothing breaks the contract, so
the list only shrinks. App labels are taken to be the apps' package names, as they are here.

Registered in ``pyproject.toml`` under ``[tool.importlinter] contract_types``; ``lint-imports``
(and so ``make imports``) runs it.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output

_RELATION_FIELDS = ("ForeignKey", "OneToOneField", "ManyToManyField")


# -------------------------------------------------------------------------- layers


@dataclass(frozen=True)
class LayerOrder:
    """The apps of the layers contract, highest level first; siblings share a level."""

    levels: tuple[tuple[frozenset[str], bool], ...]  # (apps, independent)

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> LayerOrder:
        """Parse import-linter's syntax: ``"a | b"`` independent siblings, ``"a : b"`` siblings
        that may import each other, ``"(a)"`` an optional layer."""
        levels = []
        for entry in entries:
            delimiter = ":" if ":" in entry else "|"
            names = (name.strip().strip("()").strip() for name in entry.split(delimiter))
            levels.append((frozenset(name for name in names if name), delimiter == "|"))
        return cls(tuple(levels))

    @property
    def apps(self) -> list[str]:
        return sorted(app for names, _ in self.levels for app in names)

    def _level(self, app: str) -> int | None:
        for index, (names, _) in enumerate(self.levels):
            if app in names:
                return index
        return None

    def reaches_up(self, source: str, target: str) -> bool:
        """True when ``source`` may not depend on ``target``: a higher layer, or an independent
        sibling. Apps outside the layers (Django's, third parties') are never up."""
        source_level, target_level = self._level(source), self._level(target)
        if source == target or source_level is None or target_level is None:
            return False
        if target_level == source_level:
            return self.levels[source_level][1]
        return target_level < source_level


def layers_from_pyproject(pyproject: Path) -> LayerOrder:
    """The one ``layers`` contract of ``[tool.importlinter]``."""
    config = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]
    layered = [c for c in config.get("contracts", []) if c.get("type") == "layers"]
    if len(layered) != 1:
        raise ValueError(f"{pyproject}: expected one layers contract, found {len(layered)}")
    return LayerOrder.from_entries(layered[0]["layers"])


# -------------------------------------------------------------------------- finding hatches


@dataclass(frozen=True)
class Hatch:
    """One reach from ``module`` (in ``source_app``) to ``target_app`` (None: not readable)."""

    path: str
    line: int
    module: str
    source_app: str
    target_app: str | None
    kind: str

    def describe(self) -> str:
        target = self.target_app or "? (cannot be read from the source)"
        return f"{self.path}:{self.line} {self.source_app} -> {target} ({self.kind})"


def _is_product_source(relative: Path) -> bool:
    parts = relative.parts
    return not (
        "tests" in parts
        or "migrations" in parts
        or relative.name.startswith("test_")
        or relative.name == "conftest.py"
    )


def _module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _module_path(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(tree: ast.Module, module: str) -> dict[str, str]:
    """Local name -> the module it was imported from (absolute; relative ones resolved)."""
    names: dict[str, str] = {}
    package = module.split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                prefix = package[: len(package) - node.level]
                base = ".".join([*prefix, base] if base else prefix)
            for alias in node.names:
                names[alias.asname or alias.name] = base
    return names


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _get_model_target(call: ast.Call) -> str | None:
    first = _string(call.args[0]) if call.args else None
    if first is None:
        return None
    return first.split(".", 1)[0]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Scanner:
    """Finds the hatches of one file; resolves ``Model._meta.get_field("x").related_model`` by
    reading the model's class body in its module."""

    def __init__(self, root: Path, relative: Path) -> None:
        self.root = root
        self.relative = relative
        self.module = _module_name(relative)
        self.app = relative.parts[0]
        self.tree = ast.parse((root / relative).read_text(), filename=str(relative))
        self.imports = _imported_names(self.tree, self.module)

    def hatches(self) -> Iterator[Hatch]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == "get_model":
                    yield self._hatch(node, _get_model_target(node), "apps.get_model")
            elif isinstance(node, ast.Attribute) and node.attr == "related_model":
                yield self._hatch(node, self._related_model_target(node.value), "related_model")
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                yield from self._type_checking_imports(node)

    def _hatch(self, node: ast.AST, target: str | None, kind: str) -> Hatch:
        line = getattr(node, "lineno", 0)
        return Hatch(str(self.relative), line, self.module, self.app, target, kind)

    def _type_checking_imports(self, block: ast.If) -> Iterator[Hatch]:
        for statement in block.body:
            for node in ast.walk(statement):
                if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    targets = [node.module]
                elif isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                else:
                    continue
                for target in targets:
                    yield self._hatch(node, target.split(".", 1)[0], "TYPE_CHECKING import")

    def _related_model_target(self, value: ast.expr) -> str | None:
        """The app of ``Model._meta.get_field("name").related_model``, or None."""
        if not (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "get_field"
            and isinstance(value.func.value, ast.Attribute)
            and value.func.value.attr == "_meta"
            and isinstance(value.func.value.value, ast.Name)
        ):
            return None
        field_name = _string(value.args[0]) if value.args else None
        model = value.func.value.value.id
        models_module = self.imports.get(model, self.module)
        if field_name is None:
            return None
        return _relation_target(self.root, models_module, model, field_name)


def _relation_target(root: Path, models_module: str, model: str, field_name: str) -> str | None:
    """The app a relation field of ``model`` (defined in ``models_module``) points to."""
    path = _module_path(root, models_module)
    if path is None:
        return None
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == model:
            return _field_target(node, field_name, tree, models_module)
    return None


def _field_target(model: ast.ClassDef, name: str, tree: ast.Module, module: str) -> str | None:
    own_app = module.split(".", 1)[0]
    for statement in model.body:
        if not (
            isinstance(statement, ast.Assign | ast.AnnAssign)
            and isinstance(statement.value, ast.Call)
        ):
            continue
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        if not any(isinstance(t, ast.Name) and t.id == name for t in targets):
            continue
        call = statement.value
        callee = call.func.attr if isinstance(call.func, ast.Attribute) else None
        callee = callee or (call.func.id if isinstance(call.func, ast.Name) else None)
        first = call.args[0] if call.args else None
        if callee not in _RELATION_FIELDS or first is None:
            return None
        if (label := _string(first)) is not None:
            return label.split(".", 1)[0] if "." in label else own_app
        if isinstance(first, ast.Name):
            source = _imported_names(tree, module).get(first.id, module)
            return source.split(".", 1)[0]
        return None
    return None


def find_hatches(root: Path, apps: Iterable[str]) -> list[Hatch]:
    """Every ``get_model``, ``related_model`` and ``TYPE_CHECKING`` import in the apps' product
    code, with the app it reaches when the source says."""
    found: list[Hatch] = []
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root)
            if _is_product_source(relative):
                found.extend(_Scanner(root, relative).hatches())
    return sorted(found, key=lambda hatch: (hatch.path, hatch.line, hatch.kind))


# -------------------------------------------------------------------------- the verdict


@dataclass(frozen=True)
class Verdict:
    offending: list[Hatch]
    unused_allowances: list[str]

    @property
    def kept(self) -> bool:
        return not self.offending and not self.unused_allowances


def _parse_allowance(entry: str) -> tuple[str, str]:
    module, arrow, app = entry.partition("->")
    if not arrow or not module.strip() or not app.strip():
        raise ValueError(f"allow entry {entry!r} is not '<module> -> <app>'")
    return module.strip(), app.strip()


def judge(root: Path, layers: LayerOrder, allow: Iterable[str]) -> Verdict:
    """The hatches that reach up (or cannot be read), minus the allowed ones."""
    allowances = {entry: _parse_allowance(entry) for entry in allow}
    used: set[str] = set()
    offending = []
    for hatch in find_hatches(root, layers.apps):
        if hatch.target_app is not None and not layers.reaches_up(
            hatch.source_app, hatch.target_app
        ):
            continue
        matches = [
            entry
            for entry, (module, app) in allowances.items()
            if module == hatch.module and app in ("*", hatch.target_app)
        ]
        used.update(matches)
        if not matches:
            offending.append(hatch)
    return Verdict(offending, [entry for entry in allowances if entry not in used])


class EscapeHatchContract(Contract):
    """No ``apps.get_model``, ``related_model`` or ``TYPE_CHECKING`` import reaches a higher
    layer than the file's app, except the modules listed in ``allow``."""

    allow = fields.ListField(subfield=fields.StringField(), required=False, default=[])

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        root = Path.cwd()
        # The class attribute is the field; Contract.__init__ sets the parsed list on the instance.
        allow = cast(list[str], self.allow)
        verdict = judge(root, layers_from_pyproject(root / "pyproject.toml"), allow)
        return ContractCheck(
            kept=verdict.kept,
            metadata={
                "offending": [hatch.describe() for hatch in verdict.offending],
                "unused": verdict.unused_allowances,
            },
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for line in check.metadata["offending"]:
            output.print_error(line, bold=False)
        for entry in check.metadata["unused"]:
            output.print_error(f"allow entry matches nothing (remove it): {entry}", bold=False)
        output.new_line()
