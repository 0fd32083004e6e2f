#!/usr/bin/env bash
# The lint-and-test step of a Flask service pipeline (ci/github/python-test.yml and
# ci/gitlab/templates/python-test.yml call exactly this): a fresh virtualenv with the
# service's pinned requirements, then ruff check, ruff format --check and pytest.
#
#   ci/scripts/test.sh [options] <service-dir>
#     --installer uv|pip      how to install (default: uv)
#     --requirements FILE     relative to <service-dir> (default: requirements.txt)
#     --install SPEC          also install SPEC with its dependencies (repeatable), e.g. a
#                             package of this repository such as ./telemetry
#     --venv DIR              where the virtualenv goes (default: a fresh temporary directory)
#     --pytest-args ARGS      extra pytest arguments (one string, split on spaces)
# RUFF_VERSION and PYTEST_VERSION pin the tools the step installs (defaults below).
set -euo pipefail

installer=uv requirements=requirements.txt venv="" pytest_args="" extra=()
RUFF_VERSION=${RUFF_VERSION:-0.17.6}
PYTEST_VERSION=${PYTEST_VERSION:-9.1.1}
die() { echo "test.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --installer) installer=${2:?}; shift 2 ;;
    --requirements) requirements=${2:?}; shift 2 ;;
    --install) extra+=("$(cd "${2:?}" 2>/dev/null && pwd || echo "$2")"); shift 2 ;;
    --venv) venv=${2:?}; shift 2 ;;
    --pytest-args) pytest_args=${2-}; shift 2 ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || die "usage: test.sh [options] <service-dir>"
case $installer in uv|pip) ;; *) die "--installer must be uv or pip, not '$installer'" ;; esac
cd "$1" || die "service directory '$1' does not exist"
[ -f "$requirements" ] || die "--requirements: no file '$requirements' in $PWD (pin the service's dependencies there)"
[ -n "$venv" ] || venv=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/flaskops-test-venv.XXXXXX")

echo "::group::install ($installer) into $venv"
if [ "$installer" = uv ]; then
  uv venv --quiet --allow-existing "$venv"
  pip_install() { VIRTUAL_ENV=$venv uv pip install --quiet "$@"; }
else
  python3 -m venv "$venv"
  pip_install() { "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"; }
fi
# One resolution for everything, then a consistency check: nothing is installed --no-deps.
pip_install -r "$requirements" ${extra[@]+"${extra[@]}"} "ruff==$RUFF_VERSION" "pytest==$PYTEST_VERSION"
if [ "$installer" = uv ]; then VIRTUAL_ENV=$venv uv pip check --quiet; else "$venv/bin/python" -m pip check; fi
echo "::endgroup::"

echo "::group::ruff"
"$venv/bin/ruff" check .
"$venv/bin/ruff" format --check .
echo "::endgroup::"

echo "::group::pytest"
# shellcheck disable=SC2086  # pytest_args is a list of words by contract
"$venv/bin/python" -m pytest $pytest_args
echo "::endgroup::"
