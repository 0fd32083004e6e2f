"""Set spec.image.tag (and optionally repository) of one FlaskService in a manifest file.

Round-trips the YAML with ruamel.yaml so comments, key order and the other documents of
the file stay as they were: the GitOps commit shows only the changed line.

    python ci/scripts/bump_image.py FILE --name NAME --tag TAG [--repository REPO]

Exits 0 and prints "unchanged" when the tag is already the requested one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML


def bump(docs: list[Any], name: str, tag: str, repository: str | None) -> bool:
    """Edit the matching FlaskService in place; True if anything changed."""
    matches = [
        d
        for d in docs
        if isinstance(d, dict)
        and d.get("kind") == "FlaskService"
        and (d.get("metadata") or {}).get("name") == name
    ]
    if len(matches) != 1:
        found = [
            (d.get("metadata") or {}).get("name")
            for d in docs
            if isinstance(d, dict) and d.get("kind") == "FlaskService"
        ]
        raise SystemExit(
            f"bump_image: expected one FlaskService named {name!r}, found {found}; "
            "set --name to the object's metadata.name"
        )
    spec = matches[0].setdefault("spec", {})
    image = spec.setdefault("image", {})
    before = (image.get("repository"), str(image.get("tag")))
    if repository is not None:
        image["repository"] = repository
    image["tag"] = tag
    return before != (image.get("repository"), tag)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file", type=Path)
    p.add_argument("--name", required=True, help="metadata.name of the FlaskService")
    p.add_argument("--tag", required=True, help="the new spec.image.tag")
    p.add_argument("--repository", help="also set spec.image.repository")
    args = p.parse_args(argv)
    if not args.tag.strip():
        raise SystemExit("bump_image: --tag is empty; pass the image tag the build pushed")
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.explicit_start = args.file.read_text().lstrip().startswith("---")
    docs = list(yaml.load_all(args.file.read_text()))
    if not bump(docs, args.name, args.tag, args.repository):
        print("unchanged")
        return 0
    with args.file.open("w") as fh:
        yaml.dump_all(docs, fh)
    print(f"{args.file}: {args.name} -> {args.tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
