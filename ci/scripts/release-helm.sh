#!/usr/bin/env bash
# The helm release step: `helm upgrade --install` one service's release with a new image
# tag. --print only prints the command (shell-quoted), which is what a review or a dry run
# wants; without it the command runs against the current kube context.
#
#   ci/scripts/release-helm.sh --release NAME --namespace NS --chart REF --tag TAG
#                              [--chart-version V] [--values FILE]... [--helm-arg ARG]...
#                              [--print]
# --helm-arg passes one more argument to helm (e.g. --plain-http for an HTTP registry).
set -euo pipefail

release="" namespace="" chart="" tag="" chart_version="" print="" values=() extra=()
die() { echo "release-helm.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --release) release=${2:?}; shift 2 ;;
    --namespace) namespace=${2:?}; shift 2 ;;
    --chart) chart=${2:?}; shift 2 ;;
    --chart-version) chart_version=${2:?}; shift 2 ;;
    --tag) tag=${2:?}; shift 2 ;;
    --values) values+=(--values "${2:?}"); shift 2 ;;
    --helm-arg) extra+=("${2:?}"); shift 2 ;;
    --print) print=1; shift ;;
    *) die "unknown argument $1" ;;
  esac
done
for v in release namespace chart tag; do [ -n "${!v}" ] || die "--$v is required"; done

cmd=(helm upgrade --install "$release" "$chart" --namespace "$namespace" --create-namespace)
[ -z "$chart_version" ] || cmd+=(--version "$chart_version")
cmd+=(${values[@]+"${values[@]}"} ${extra[@]+"${extra[@]}"} --set-string "image.tag=$tag" --wait --timeout 5m)
if [ -n "$print" ]; then printf '%q ' "${cmd[@]}" | sed 's/ $//'; echo; exit 0; fi
"${cmd[@]}"
