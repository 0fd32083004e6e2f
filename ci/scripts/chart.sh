#!/usr/bin/env bash
# The chart step of a Flask service pipeline: build the chart's dependencies, lint it
# strictly with the service's values, render it once with them (what a GitOps tool or the
# operator does), package it and optionally push the package to an OCI registry.
#
#   ci/scripts/chart.sh [options] <chart-dir | oci://registry/path/chart>
#     --values FILE        the service's values (repeatable; linted and rendered with)
#     --version V          chart version to package (default: Chart.yaml's); with oci://,
#                          the published version to check the values against
#     --app-version V      appVersion to package (default: Chart.yaml's)
#     --destination DIR    where the .tgz goes (default: dist/charts)
#     --push oci://REF     `helm push` the package there (log in first: helm registry login)
#     --plain-http         talk HTTP, not HTTPS, to the OCI registry (a local test registry)
#     --sign KEY --keyring FILE
#                          sign the package (a .prov next to it, pushed with it) with the
#                          PGP key KEY from the secret keyring FILE, so users can
#                          `helm pull/install --verify --keyring <public keyring>`
# With oci://, the published chart is pulled and checked with the values; nothing is
# packaged. Prints the packaged chart's path (or the pulled chart's directory) last.
set -euo pipefail

values=() version="" app_version="" dest=dist/charts push="" oci_flags=() sign_key="" keyring=""
die() { echo "chart.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --values) [ -f "${2:?}" ] || die "--values: no file '$2'"; values+=(-f "$2"); shift 2 ;;
    --version) version=${2:?}; shift 2 ;;
    --app-version) app_version=${2:?}; shift 2 ;;
    --destination) dest=${2:?}; shift 2 ;;
    --push) [[ ${2:?} == oci://* ]] || die "--push must be an oci:// reference, not '$2'"; push=$2; shift 2 ;;
    --plain-http) oci_flags+=(--plain-http); shift ;;
    --sign) sign_key=${2:?}; shift 2 ;;
    --keyring) [ -f "${2:?}" ] || die "--keyring: no file '$2'"; keyring=$2; shift 2 ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || die "usage: chart.sh [options] <chart-dir>"
chart=$1
pulled=""
if [[ $chart == oci://* ]]; then
  pulled=$(mktemp -d "${TMPDIR:-/tmp}/chart-pull.XXXXXX")
  helm pull "$chart" ${oci_flags[@]+"${oci_flags[@]}"} ${version:+--version "$version"} --untar --untardir "$pulled" >&2
  chart=$(dirname "$(find "$pulled" -mindepth 2 -maxdepth 2 -name Chart.yaml | head -n1)")
fi
[ -f "$chart/Chart.yaml" ] || die "'$chart' is not a chart directory (no Chart.yaml)"

# A published chart carries its dependencies already; a source chart gets the missing ones
# built (only those: rewriting charts/*.tgz under a running renderer would race it).
if [ -z "$pulled" ] && grep -q '^dependencies:' "$chart/Chart.yaml" \
  && helm dependency list "$chart" 2>/dev/null | awk 'NR > 1 && NF && $NF != "ok"' | grep -q .; then
  helm dependency build "$chart" >/dev/null
fi
helm lint --strict "$chart" ${values[@]+"${values[@]}"} >&2
# A library chart renders nothing on its own; its test chart is where it gets rendered.
if ! grep -qE '^type: *library' "$chart/Chart.yaml"; then
  helm template ci-render "$chart" ${values[@]+"${values[@]}"} >/dev/null
fi
if [ -n "$pulled" ]; then echo "$chart"; exit 0; fi
mkdir -p "$dest"
args=(package "$chart" --destination "$dest")
[ -z "$version" ] || args+=(--version "$version")
[ -z "$app_version" ] || args+=(--app-version "$app_version")
if [ -n "$sign_key" ]; then
  [ -n "$keyring" ] || die "--sign needs --keyring (a secret keyring holding '$sign_key')"
  args+=(--sign --key "$sign_key" --keyring "$keyring")
fi
out=$(helm "${args[@]}")
echo "$out" >&2
pkg=${out##*: }
[ -z "$push" ] || helm push ${oci_flags[@]+"${oci_flags[@]}"} "$pkg" "$push" >&2
echo "$pkg"
