#!/usr/bin/env bash
# Prints the path of a uv binary, bringing uv in from PyPI (pinned) into .tools/ if there is none;
# prints nothing and exits 1 when uv cannot be had (the caller then falls back to pip).
# Usage: scripts/uv.sh [python]
set -uo pipefail
UV_VERSION=0.13.9
cd "$(dirname "$0")/.."
python=${1:-python3}
if [ -n "${BRIEFING_NO_UV:-}" ]; then exit 1; fi  # force the pip route (tests, debugging)
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
if [ -x .tools/bin/uv ]; then echo "$PWD/.tools/bin/uv"; exit 0; fi
echo "[setup] fetching uv $UV_VERSION (the installer) into .tools/" >&2
if "$python" -m pip install --quiet --disable-pip-version-check --target .tools "uv==$UV_VERSION" >/dev/null 2>&1 \
   && [ -x .tools/bin/uv ]; then
  echo "$PWD/.tools/bin/uv"
  exit 0
fi
rm -rf .tools
echo "[setup] uv is not available; falling back to pip (slower)" >&2
exit 1
