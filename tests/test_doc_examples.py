"""The docs' Python examples run as written: each block compiles, every name it uses is imported
or defined in it, and what it imports from gcexport exists.

Optional packages (dagster) may be absent, so gcexport's modules are read, not imported: a name
imported from `gcexport.x` must be bound at the top of `x`'s source. A third-party import is
executed when its package is installed.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
DOCS = ["README.md", "docs/DAGSTER.md", "docs/ADDING-A-DATASET.md", "docs/ARCHITECTURE.md"]
# The example dataset's own new module (ADDING-A-DATASET.md step 1): it exists once you write it.
YOURS = {"gcexport.transform.evaluations"}


def _blocks() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        blocks = re.findall(r"^([ \t]*)```python\n(.*?)^\1```", text, re.S | re.M)
        found += [(f"{doc}#{n}", textwrap.dedent(code)) for n, (_, code) in enumerate(blocks, 1)]
    return found


BLOCKS = _blocks()


def test_the_docs_have_python_examples() -> None:
    names = {where.split("#")[0] for where, _ in BLOCKS}
    assert names == {"README.md", "docs/DAGSTER.md", "docs/ADDING-A-DATASET.md"}


def _bound(tree: ast.AST) -> set[str]:
    """Every name the code binds anywhere: imports, assignments, loop and comprehension targets,
    definitions and their arguments."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[w for w, _ in BLOCKS])
def test_every_name_an_example_uses_is_imported_or_defined(where: str, code: str) -> None:
    tree = ast.parse(code, filename=where)
    compile(tree, where, "exec")
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    missing = sorted(used - _bound(tree) - set(dir(builtins)))
    assert not missing, f"{where} uses {missing} without importing or defining them"


def _top_level_names(module: str) -> set[str]:
    """The names bound at the top of a gcexport module's source (read, not imported: finding it
    imports only its parent packages) and those its `__all__` lists (loaded lazily)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, f"no module {module}"
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in (t for t in targets if isinstance(t, ast.Name)):
                names.add(target.id)
                if target.id == "__all__" and node.value is not None:
                    names |= set(ast.literal_eval(node.value))
    return names


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[w for w, _ in BLOCKS])
def test_what_an_example_imports_exists(where: str, code: str) -> None:
    tree = ast.parse(code, filename=where)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [(node.module, [a.name for a in node.names])]
        elif isinstance(node, ast.Import):
            modules = [(a.name, []) for a in node.names]
        else:
            continue
        for module, names in modules:
            if module.split(".")[0] == "gcexport":
                if module in YOURS:
                    continue
                exported = _top_level_names(module)
                missing = sorted(set(names) - exported)
                assert not missing, f"{where}: {module} has no {missing}"
            elif importlib.util.find_spec(module.split(".")[0]) is not None:
                imported = importlib.import_module(module)
                missing = sorted(n for n in names if not hasattr(imported, n))
                assert not missing, f"{where}: {module} has no {missing}"
    # `import gcexport` then `gcexport.<name>`: the name is public (the package loads lazily).
    public = _top_level_names("gcexport")
    attributes = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "gcexport"
    }
    assert attributes <= public, f"{where}: gcexport has no {sorted(attributes - public)}"
