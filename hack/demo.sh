#!/usr/bin/env bash
# `make demo`: bring up the local control plane (no container engine needed) and say what
# runs. The operator demo grows from here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export_line=$(bash "$here/cluster.sh" up | tail -n 1)
eval "$export_line"
bin=$(bash "$here/tools.sh" bindir)
echo
echo "Local control plane is up (kwokctl, runtime=binary):"
"$bin/kubectl" get --raw /version | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/  kube-apiserver \1/p'
"$bin/kubectl" get nodes -o custom-columns='  NODE:.metadata.name,STATUS:.status.conditions[-1].type' --no-headers
echo
echo "Use it with:"
echo "  $export_line"
echo "  $(bash "$here/tools.sh" bindir >/dev/null; echo "export PATH=$bin:\$PATH")"
echo "Stop it with: make cluster-down"
