#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The demo (policies/demo) end to end: compile the demo policies with their
# inventory, load them onto a namespace topology built to match, and check
# every flow of the demo table (IPv4 and IPv6) against what the policies
# say; then unload.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
exec "$here/../../policies/demo/run.sh" "$BUILD_DIR"
