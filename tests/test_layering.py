"""The import layering of DESIGN.md holds (imports point down only):

    cli ─▶ reproductions · comparison · batching ─▶ runner · results · plotting
        ─▶ domains ─▶ theory · metrics · engine

and every domain follows the template: science only (no study, page, figure or
external-program modules, no command lines), arrays and randomness only
through the engine's backend (no ``backend.name`` branches). Checked by
parsing the source, so it holds for code paths no test runs."""

from __future__ import annotations

import ast
from pathlib import Path

import collapsesim

PKG = Path(collapsesim.__file__).parent
DOMAINS = PKG / "domains"
DOMAIN_NAMES = {p.name for p in DOMAINS.iterdir() if (p / "__init__.py").is_file()}
UPPER = {"runner", "batching", "comparison", "plotting", "cli", "reproductions", "results"}
NOT_SCIENCE = {"verification", "reproduce", "reproduction", "figures", "study", "studies",
               "external"}
BOTTOM = ("engine", "metrics", "theory")


def _imports(path: Path) -> list[tuple[int, str]]:
    """Absolute dotted names of the collapsesim modules ``path`` imports."""
    rel = path.relative_to(PKG.parent).with_suffix("").parts
    package = rel[:-1] if rel[-1] != "__init__" else rel[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                mod = ".".join((*base, node.module)) if node.module else ".".join(base)
                names = [mod] + [f"{mod}.{a.name}" for a in node.names]
            else:
                mod = node.module or ""
                names = [mod] + [f"{mod}.{a.name}" for a in node.names]
            out += [(node.lineno, n) for n in names if n.startswith("collapsesim")]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("collapsesim")]
    return out


def _modules(root: Path):
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def test_domains_import_only_downwards_and_not_each_other():
    bad = []
    for path in _modules(DOMAINS):
        parts = path.relative_to(DOMAINS).parts
        me = parts[0] if len(parts) > 1 else None
        for line, name in sorted(set(_imports(path))):
            top = name.split(".")[1] if "." in name else ""
            if top in UPPER:
                bad.append(f"{path.relative_to(PKG)}:{line} imports {name}")
            if top == "domains":
                other = name.split(".")[2] if name.count(".") >= 2 else ""
                if other in DOMAIN_NAMES and other != me:
                    bad.append(f"{path.relative_to(PKG)}:{line} imports domain {other}")
    assert not bad, "\n".join(dict.fromkeys(bad))


def test_bottom_layer_imports_no_domain_or_upper_layer():
    bad = []
    for top in BOTTOM:
        root = PKG / top
        paths = _modules(root) if root.is_dir() else [root.with_suffix(".py")]
        paths = [p for p in paths if p.is_file()]
        for path in paths:
            for line, name in _imports(path):
                first = name.split(".")[1] if "." in name else ""
                if first in UPPER | {"domains"}:
                    bad.append(f"{path.relative_to(PKG)}:{line} imports {name}")
    assert not bad, "\n".join(bad)


def test_domains_hold_science_only():
    bad = []
    for path in _modules(DOMAINS):
        text = path.read_text()
        where = path.relative_to(PKG)
        if path.stem in NOT_SCIENCE:
            bad.append(f"{where}: run/report/figure code belongs in collapsesim/reproductions")
        if "backend.name ==" in text or "backend.name !=" in text:
            bad.append(f"{where}: branches on backend.name (register a kernel instead)")
        if "argparse" in text or "__main__" in text:
            bad.append(f"{where}: a command line inside a domain")
    assert not bad, "\n".join(bad)


def test_no_import_circle_between_results_and_plotting():
    results = {n for _, n in _imports(PKG / "results.py")}
    plotting = {n for _, n in _imports(PKG / "plotting.py")}
    assert not (any(n.startswith("collapsesim.plotting") for n in results)
                and any(n.startswith("collapsesim.results") for n in plotting))
