"""The docs stay true to the code: the import diagram, requirement ids, module names, links."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
REQUIREMENT_ID = re.compile(r"\bS[0-9]+[a-z]?\b")


def _import_graph() -> ModuleType:
    path = ROOT / "scripts" / "import_graph.py"
    spec = importlib.util.spec_from_file_location("import_graph", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


graph = _import_graph()


def test_architecture_diagram_matches_the_imports() -> None:
    assert graph.main(["--check"]) == 0, "run: python scripts/import_graph.py"


def test_import_graph_reads_every_kind_of_import(tmp_path: Path) -> None:
    package = tmp_path / "cxrkit"
    for name in ("pipeline", "dicom", "identity", "sources/synth"):
        (package / name).mkdir(parents=True)
        (package / name / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "errors.py").write_text("")
    (package / "dicom" / "headers.py").write_text("")
    (package / "sources" / "discover.py").write_text("")
    (package / "pipeline" / "work.py").write_text(
        "import os\n"
        "from cxrkit import errors, __version__\n"
        "from ..dicom import headers\n"
        "def late() -> None:\n"
        "    import cxrkit.identity\n"
        "    from cxrkit.sources.synth import synthesize\n"
    )
    (package / "sources" / "synth" / "gen.py").write_text("from ...sources import discover\n")
    (package / "identity" / "keys.py").write_text("from cxrkit.pipeline import work\n")

    imports = graph.package_imports(package)

    assert imports["pipeline"] == {
        "cxrkit.errors",
        "cxrkit.dicom.headers",
        "cxrkit.identity",
        "cxrkit.sources.synth",
    }
    assert imports["sources.synth"] == {"cxrkit.sources.discover"}
    assert imports["dicom"] == imports["errors"] == set()
    diagram = graph.mermaid(imports)
    assert "pipeline --> sources_synth" in diagram
    assert "pipeline --> errors" not in diagram
    assert "identity -.-> pipeline" in diagram
    assert graph.upward(imports) == "- `identity` imports `pipeline.work`"


def test_every_requirement_id_is_defined() -> None:
    defined = set(
        re.findall(
            r"^### (S[0-9]+[a-z]?) ",
            (ROOT / "docs" / "requirements.md").read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    )
    used: set[str] = set()
    for folder in ("src", "docs", "tests", "benchmarks"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".md", ".txt", ".toml"}:
                used |= set(REQUIREMENT_ID.findall(path.read_text(encoding="utf-8")))
    used |= set(REQUIREMENT_ID.findall((ROOT / "README.md").read_text(encoding="utf-8")))
    assert used - defined == set()


@pytest.mark.parametrize("page", ["requirements.md", "architecture.md"])
def test_modules_named_in_the_design_docs_exist(page: str) -> None:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    packages = "|".join(name.replace(".", r"\.") for name in graph.LAYERS)
    named = set(re.findall(rf"`((?:{packages})(?:\.[a-z_]+)*)`", text))
    source = ROOT / "src" / "cxrkit"
    missing = [
        name
        for name in sorted(named)
        if not (source / f"{name.replace('.', '/')}.py").exists()
        and not (source / name.replace(".", "/") / "__init__.py").exists()
    ]
    assert len(named) > 10
    assert missing == []


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", markdown, flags=re.DOTALL), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: p.name)
def test_links_point_inside_the_repository(page: Path) -> None:
    broken = []
    for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)", page.read_text("utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        path = (page.parent / target).resolve() if target else page
        inside = path.is_relative_to(ROOT) and path.exists()
        if not inside or (anchor and anchor not in _anchors(path.read_text("utf-8"))):
            broken.append(f"{target}#{anchor}" if anchor else target)
    assert broken == []
