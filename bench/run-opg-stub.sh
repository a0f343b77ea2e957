#!/usr/bin/env bash
# Starts the reference OPG stub (bench/opg_stub.py, an unchanged copy of shared/bench/opg_stub.py) in a
# private virtualenv with aiohttp, for `lpaflow bench workload --opg-url http://127.0.0.1:PORT`.
#
#   bench/run-opg-stub.sh [--port 8089]      # foreground; Ctrl-C stops it
#   OPG_OFFLINE=1 bench/run-opg-stub.sh      # start offline
#
# The virtualenv lives in bench/.venv (created on first use; needs python3 with venv and access to PyPI).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${LPAFLOW_STUB_VENV:-$here/.venv}"
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
fi
if ! "$venv/bin/python" -c 'import aiohttp' 2>/dev/null; then
    echo "run-opg-stub: creating $venv with aiohttp" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'aiohttp>=3.9,<4'
fi
exec "$venv/bin/python" "$here/opg_stub.py" "$@"
