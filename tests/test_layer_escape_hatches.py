"""The escape-hatch contract (scripts/layer_escape_hatches.py) on a small fake project: two apps,
``high`` above ``low``, and each way of reaching up that import-linter cannot see."""

import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from scripts.layer_escape_hatches import LayerOrder, Verdict, judge, layers_from_pyproject

REPOSITORY = Path(__file__).resolve().parent.parent

MODELS = {
    "high/models.py": """
        from django.db import models

        class Thing(models.Model):
            pass
    """,
    "low/models.py": """
        from django.db import models

        class Item(models.Model):
            owner = models.ForeignKey("high.Thing", on_delete=models.CASCADE)
            parent = models.ForeignKey("self", null=True, on_delete=models.CASCADE)
    """,
}


def _project(root: Path, files: dict[str, str], layers: str = '["high", "low"]') -> None:
    pyproject = f"""
        [tool.importlinter]
        root_packages = ["high", "low"]
        contract_types = ["escape_hatches: scripts.layer_escape_hatches.EscapeHatchContract"]

        [[tool.importlinter.contracts]]
        name = "layers"
        type = "layers"
        layers = {layers}

        [[tool.importlinter.contracts]]
        name = "escape hatches"
        type = "escape_hatches"
    """
    packages = {"high/__init__.py": "", "low/__init__.py": ""}
    for name, text in {"pyproject.toml": pyproject, **packages, **MODELS, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))


def _check(root: Path, allow: list[str] | None = None) -> Verdict:
    return judge(root, layers_from_pyproject(root / "pyproject.toml"), allow or [])


def _offending(root: Path) -> list[str]:
    return [hatch.describe() for hatch in _check(root).offending]


def test_an_upward_get_model_breaks_the_contract(tmp_path):
    _project(
        tmp_path,
        {
            "low/selectors.py": """
                from django.apps import apps

                def things():
                    return apps.get_model("high", "Thing").objects.all()

                def things_too():
                    return apps.get_model("high.Thing").objects.all()
            """
        },
    )
    assert not _check(tmp_path).kept
    assert _offending(tmp_path) == [
        "low/selectors.py:5 low -> high (apps.get_model)",
        "low/selectors.py:8 low -> high (apps.get_model)",
    ]


def test_downward_and_same_app_reaches_are_fine(tmp_path):
    _project(
        tmp_path,
        {
            "high/views.py": """
                from typing import TYPE_CHECKING
                from django.apps import apps
                from high.models import Thing

                if TYPE_CHECKING:
                    from low.models import Item

                def items() -> "list[Item]":
                    return list(apps.get_model("low", "Item").objects.all())

                def owners():
                    return Thing._meta.get_field("id")
            """,
            "low/services.py": """
                from typing import TYPE_CHECKING
                from django.apps import apps
                from low.models import Item

                if TYPE_CHECKING:
                    from low.models import Item as Same

                def parents():
                    return Item._meta.get_field("parent").related_model, apps.get_model("low.Item")
            """,
        },
    )
    assert _check(tmp_path).kept


def test_related_model_is_followed_through_the_foreign_key(tmp_path):
    _project(
        tmp_path,
        {
            "low/views.py": """
                from low.models import Item

                def owners():
                    return Item._meta.get_field("owner").related_model.objects.all()
            """
        },
    )
    assert _offending(tmp_path) == ["low/views.py:5 low -> high (related_model)"]


def test_an_upward_type_checking_import_breaks_the_contract(tmp_path):
    _project(
        tmp_path,
        {
            "low/services.py": """
                import typing

                if typing.TYPE_CHECKING:
                    from high.models import Thing
            """
        },
    )
    assert _offending(tmp_path) == ["low/services.py:5 low -> high (TYPE_CHECKING import)"]


def test_a_target_the_source_does_not_say_must_be_listed(tmp_path):
    _project(
        tmp_path,
        {
            "low/merge.py": """
                from django.apps import apps

                def related(field, label):
                    return field.related_model, apps.get_model(label)
            """
        },
    )
    assert _offending(tmp_path) == [
        "low/merge.py:5 low -> ? (cannot be read from the source) (apps.get_model)",
        "low/merge.py:5 low -> ? (cannot be read from the source) (related_model)",
    ]
    assert _check(tmp_path, allow=["low.merge -> *"]).kept


def test_tests_and_migrations_are_not_product_code(tmp_path):
    upward = 'from django.apps import apps\nThing = apps.get_model("high", "Thing")\n'
    _project(
        tmp_path,
        {
            "low/tests/test_things.py": upward,
            "low/tests/factories.py": upward,
            "low/migrations/0002_things.py": upward,
            "low/conftest.py": upward,
        },
    )
    assert _check(tmp_path).kept


def test_the_allow_list_only_shrinks(tmp_path):
    _project(
        tmp_path,
        {"low/selectors.py": 'from django.apps import apps\nT = apps.get_model("high.Thing")\n'},
    )
    assert _check(tmp_path, allow=["low.selectors -> high"]).kept
    stale = _check(tmp_path, allow=["low.selectors -> high", "low.views -> high"])
    assert not stale.kept
    assert (stale.offending, stale.unused_allowances) == ([], ["low.views -> high"])


@pytest.mark.parametrize(
    ("layers", "reaches_up"),
    [('["high | low"]', True), ('["high : low"]', False), ('["(high)", "low"]', True)],
)
def test_siblings_follow_import_linter_syntax(tmp_path, layers, reaches_up):
    _project(
        tmp_path,
        {"low/selectors.py": 'from django.apps import apps\nT = apps.get_model("high.Thing")\n'},
        layers=layers,
    )
    assert _check(tmp_path).kept is not reaches_up


def test_layer_order_reads_levels_highest_first():
    order = LayerOrder.from_entries(["top", "left | right", "bottom"])
    assert order.apps == ["bottom", "left", "right", "top"]
    assert order.reaches_up("bottom", "left")
    assert order.reaches_up("left", "right")
    assert not order.reaches_up("top", "bottom")
    assert not order.reaches_up("bottom", "django")  # not one of ours


def test_lint_imports_runs_the_contract(tmp_path):
    """End to end: import-linter loads the contract type from pyproject and reports the hatch."""
    _project(
        tmp_path,
        {"low/selectors.py": 'from django.apps import apps\nT = apps.get_model("high.Thing")\n'},
    )
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [lint_imports, "--no-cache"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPOSITORY), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "escape hatches BROKEN" in result.stdout
    assert "low/selectors.py:2 low -> high (apps.get_model)" in result.stdout
