#!/usr/bin/env bash
# The GitOps release step: in a checkout of the GitOps repository, set the image tag of one
# FlaskService and commit it. Argo CD or Flux applies the change; the operator then runs
# the canary. Pushing is the caller's choice (--push), so this runs against any local repo.
#
#   ci/scripts/release-gitops.sh --repo DIR --file PATH --name NAME --tag TAG
#                                [--repository IMAGE] [--push [REMOTE]] [--author "N <e>"]
# PATH is relative to DIR. Prints the new commit's hash (or "unchanged") as its last line.
# PYTHON names an interpreter with ruamel.yaml (default: `uv run --with ruamel.yaml`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

repo="" file="" name="" tag="" repository="" push="" author="flaskops-ci <ci@flaskops.invalid>"
die() { echo "release-gitops.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --repo) repo=${2:?}; shift 2 ;;
    --file) file=${2:?}; shift 2 ;;
    --name) name=${2:?}; shift 2 ;;
    --tag) tag=${2:?}; shift 2 ;;
    --repository) repository=${2:?}; shift 2 ;;
    --author) author=${2:?}; shift 2 ;;
    --push) if [ $# -gt 1 ] && [[ $2 != --* ]]; then push=$2; shift; else push=origin; fi; shift ;;
    *) die "unknown argument $1" ;;
  esac
done
for v in repo file name tag; do [ -n "${!v}" ] || die "--$v is required"; done
git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || die "--repo '$repo' is not a git checkout"
[ -f "$repo/$file" ] || die "--file: no '$file' in $repo"

if [ -n "${PYTHON:-}" ]; then py=("$PYTHON"); else py=(uv run --quiet --no-project --with ruamel.yaml==0.19.1 python); fi
args=("$repo/$file" --name "$name" --tag "$tag")
[ -z "$repository" ] || args+=(--repository "$repository")
result=$("${py[@]}" "$here/bump_image.py" "${args[@]}")
echo "$result" >&2
if [ "$result" = unchanged ]; then echo unchanged; exit 0; fi

git -C "$repo" add -- "$file"
email=${author##*<}; email=${email%>*}
git -C "$repo" -c user.name="${author% <*}" -c user.email="$email" \
  commit --quiet -m "release: $name $tag" -m "Set spec.image.tag of FlaskService $name in $file."
[ -z "$push" ] || git -C "$repo" push --quiet "$push" HEAD
git -C "$repo" rev-parse HEAD
