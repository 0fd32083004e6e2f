"""Keep a chart's values.schema.json and its docs in step with values.yaml.

values.yaml holds each value's description once, as a helm-docs `# --` comment. This script
copies those descriptions into values.schema.json (the operator generates its CRD from that
schema, so `kubectl explain` shows the same words) and writes docs/values-constraints.md, the
schema's ranges, enums and patterns as a table that README.md.gotmpl includes. helm-docs
then renders the README.

    python hack/chart_docs.py charts/flask-service          # rewrite the generated files
    python hack/chart_docs.py --check charts/flask-service  # exit 1 when they are stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z0-9_]+):")
DESC = re.compile(r"^\s*# -- ?(?P<text>.*)$")
CONSTRAINTS_FILE = Path("docs/values-constraints.md")


def described_keys(values_yaml: str) -> dict[str, str]:
    """Map dotted key -> helm-docs description, for every key that has a `# --` comment."""
    found: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    pending: str | None = None
    for line in values_yaml.splitlines():
        if m := DESC.match(line):
            pending = m["text"].strip()
            continue
        if line.lstrip().startswith("#"):
            continue  # @default and prose lines keep the pending description
        if not (m := KEY.match(line)):
            if line.strip():
                pending = None
            continue
        indent = len(m["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, m["key"]))
        if pending is not None:
            found[".".join(k for _, k in stack)] = pending
            pending = None
    return found


def schema_node(schema: dict[str, Any], dotted: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = schema
    for part in dotted.split("."):
        node = (node or {}).get("properties", {}).get(part)
    return node


def walk(node: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every property schema below node, as (dotted path, schema); list items as `path[]`."""
    out: list[tuple[str, dict[str, Any]]] = []
    for name, sub in node.get("properties", {}).items():
        here = f"{path}.{name}" if path else name
        out.append((here, sub))
        out.extend(walk(sub, here))
    if isinstance(node.get("items"), dict):
        out.extend(walk(node["items"], f"{path}[]"))
    return out


def constraint(sub: dict[str, Any]) -> str:
    parts = []
    if "enum" in sub:
        parts.append("one of " + ", ".join(f"`{e}`" for e in sub["enum"]))
    if "minimum" in sub or "maximum" in sub:
        parts.append(f"{sub.get('minimum', '')}..{sub.get('maximum', '')}")
    if "pattern" in sub:
        parts.append(f"matches `{sub['pattern']}`".replace("|", "\\|"))
    if "minLength" in sub:
        parts.append("not empty")
    if sub.get("additionalProperties") is False:
        parts.append("unknown keys rejected")
    if sub.get("x-kubernetes-preserve-unknown-fields"):
        parts.append("free-form Kubernetes object")
    if "required" in sub:
        parts.append("requires " + ", ".join(f"`{r}`" for r in sub["required"]))
    return "; ".join(parts)


def kind(sub: dict[str, Any]) -> str:
    if "anyOf" in sub:
        return " or ".join(a["type"] for a in sub["anyOf"])
    return str(sub.get("type", ""))


def constraints_markdown(schema: dict[str, Any]) -> str:
    rows = ["| Key | Type | Allowed |", "|-----|------|---------|"]
    for path, sub in walk(schema):
        if text := constraint(sub):
            rows.append(f"| `{path}` | {kind(sub)} | {text} |")
    return "\n".join(rows) + "\n"


def generate(chart: Path) -> tuple[dict[Path, str], list[str]]:
    """The generated files' contents, and the problems that make the docs incomplete."""
    schema_path = chart / "values.schema.json"
    schema = json.loads(schema_path.read_text())
    problems = []
    for dotted, text in described_keys((chart / "values.yaml").read_text()).items():
        node = schema_node(schema, dotted)
        if node is None:
            problems.append(f"values.yaml key {dotted} is not in values.schema.json")
        else:
            node["description"] = text
    problems += [
        f"schema property {p} has no description"
        for p, s in walk(schema)
        if not s.get("description")
    ]
    files = {
        schema_path: json.dumps(schema, indent=2) + "\n",
        chart / CONSTRAINTS_FILE: constraints_markdown(schema),
    }
    return files, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when generated files are stale")
    parser.add_argument("chart", type=Path)
    args = parser.parse_args(argv)
    files, problems = generate(args.chart)
    for problem in problems:
        print(f"{args.chart}: {problem}", file=sys.stderr)
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for p in stale:
            print(f"{p} is stale: run `make chart-docs`", file=sys.stderr)
        return 1 if stale or problems else 0
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(files[p])
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
