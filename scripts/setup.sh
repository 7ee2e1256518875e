#!/usr/bin/env bash
# Install one dependency group (requirements/<group>.txt, a pinned subset of the lock
# requirements.txt) into .venv. Run by make (the .venv/.setup-<group> stamps), not by hand.
#   report  what `make report` needs;  lab  + JupyterLab;  test  + pytest, playwright, GeoNames
# With uv (scripts/uv.sh: on PATH, or fetched from PyPI into .tools/) the install takes seconds
# with a warm cache; without it, pip installs the same pins. Every list is complete, so both
# install with --no-deps: nothing outside the lock can slip in.
set -euo pipefail
cd "$(dirname "$0")/.."
group=${1:?usage: scripts/setup.sh report|lab|test}
python=${PYTHON:-python3}
venv=.venv
req=requirements/$group.txt
start=$(date +%s%N)
if [ ! -x "$venv/bin/python" ]; then
  echo "[setup] creating $venv with $("$python" --version 2>&1) ($python)"
  "$python" -m venv --without-pip "$venv"
fi
n=$(grep -c '==' "$req")
if uv=$(scripts/uv.sh "$python"); then
  echo "[setup] installing group '$group': $n pinned packages from $req with uv" \
       "(a first run on this machine downloads the wheels into uv's cache)"
  # uv prints its phases (resolved / prepared / installed) as it goes; the per-package lines are dropped.
  set +e
  "$uv" pip install --python "$venv/bin/python" --no-deps -r "$req" 2>&1 | grep --line-buffered -v '^ [-+~] '
  status=${PIPESTATUS[0]}
  set -e
  [ "$status" -eq 0 ] || { echo "error: uv could not install $req (exit $status)" >&2; exit 1; }
else
  echo "[setup] installing group '$group': $n pinned packages from $req with pip"
  [ -x "$venv/bin/pip" ] || "$venv/bin/python" -m ensurepip --upgrade >/dev/null
  set +e
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-deps -r "$req" 2>&1 \
    | grep --line-buffered -E '^(Collecting|Successfully|ERROR)' | sed -u 's/^Collecting /[setup]   /'
  status=${PIPESTATUS[0]}
  set -e
  [ "$status" -eq 0 ] || { echo "error: pip could not install $req (exit $status)" >&2; exit 1; }
fi
# Bytecode now, as pip does (uv does not by default): a process started with
# PYTHONDONTWRITEBYTECODE=1 would otherwise compile pandas & co. from source every time. The
# packages' own test suites are skipped (about 60 MB of .pyc nobody imports).
echo "[setup] compiling bytecode"
"$venv/bin/python" -m compileall -q -j0 -x '/(tests?|testing)/' "$venv/lib" >/dev/null || true
# The package is importable from the venv (and so from its kernel) without a build step.
"$venv/bin/python" -c "import site, pathlib; pathlib.Path(site.getsitepackages()[0], 'briefing-project.pth').write_text('$PWD\n')"
if [ ! -f "$venv/share/jupyter/kernels/briefing/kernel.json" ]; then
  "$venv/bin/python" -m ipykernel install --sys-prefix --name briefing --display-name "Python (briefing)" >/dev/null
fi
secs=$(( ($(date +%s%N) - start) / 1000000 ))
echo "[setup] group '$group' ready in $((secs / 1000)).$(( (secs % 1000) / 100 )) s; $venv is $(du -sh "$venv" | cut -f1)"
