#!/usr/bin/env bash
# Execute every notebook on Colab's own package versions (Python 3.13, TensorFlow 2.20 with
# tf_keras, ipykernel 6.17.1, IPython 7.34, ...), not only resolve the package against them.
#
# 1. Builds, once per pins file, a Python 3.13 virtual environment with Colab's versions of the
#    packages the notebooks touch (COLAB_PACKAGES below, pinned by tests/data/colab-pip-freeze.txt,
#    dependencies included). It is cached in ~/.cache/ig-tutorial/colab-stack-<hash>, the hash
#    of the pins file and of the package list, and reused by later runs on the same machine.
# 2. Builds this checkout's wheel and installs it as the notebooks' Colab cell does: a plain
#    `pip install`, no constraints. Fails if that changes the version of any package already in
#    the environment (Colab would then ask for a restart, or lose its kernel).
# 3. Executes every notebooks/NN_*.ipynb (found by pattern: a new notebook is included) with
#    nbclient in that environment, the offline profile's values typed into its parameters cell
#    (scripts/colab_stack.py). Prints one line a notebook (ok or the failing cell, seconds) and
#    the warnings a learner would see; fails on an error cell.
#
# Environment: COLAB_PYTHON (a python3.13; default: pyenv's 3.13.0, else python3.13 on PATH),
# COLAB_PINS (default tests/data/colab-pip-freeze.txt), COLAB_STACK_CACHE (default
# ~/.cache/ig-tutorial), COLAB_STACK_OUTPUT (executed notebooks, logs; default build/colab-stack).
# Arguments are passed to scripts/colab_stack.py (e.g. --notebooks 01 05, -p M_STEPS 64).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

# The packages the notebooks import, directly or through ig_tutorial, and the kernel and client
# that execute them. Their dependencies come from the pins too.
COLAB_PACKAGES=(
  tensorflow tf_keras keras tensorflow-hub numpy scipy matplotlib scikit-image scikit-learn
  pillow h5py tqdm requests PyYAML ipykernel ipython jupyter_client jupyter_core traitlets
  pyzmq tornado nbclient nbformat
)
PINS=${COLAB_PINS:-tests/data/colab-pip-freeze.txt}
OUTPUT=${COLAB_STACK_OUTPUT:-build/colab-stack}
CACHE_ROOT=${COLAB_STACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ig-tutorial}

find_python() {
  if [ -n "${COLAB_PYTHON:-}" ]; then
    echo "$COLAB_PYTHON"
  elif command -v pyenv >/dev/null 2>&1 &&
       [ -x "$(pyenv root)/versions/3.13.0/bin/python3.13" ]; then
    echo "$(pyenv root)/versions/3.13.0/bin/python3.13"
  else
    command -v python3.13 || true
  fi
}
PYTHON=$(find_python)
if [ -z "$PYTHON" ] || ! "$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
  echo "colab-stack: cannot run: Colab's Python is 3.13 and none was found (looked for" \
       "COLAB_PYTHON, pyenv's versions/3.13.0 and python3.13 on PATH; got '${PYTHON:-nothing}')." \
       "Install Python 3.13 (e.g. 'pyenv install 3.13.0') or set COLAB_PYTHON." >&2
  exit 2
fi
[ -f "$PINS" ] || { echo "colab-stack: no pins file $PINS (set COLAB_PINS)" >&2; exit 2; }

key=$( { cat "$PINS"; printf '%s\n' "${COLAB_PACKAGES[@]}"; "$PYTHON" --version; } |
       sha256sum | cut -c1-16)
VENV=$CACHE_ROOT/colab-stack-$key
mkdir -p "$CACHE_ROOT" "$OUTPUT"
OUTPUT=$(cd "$OUTPUT" && pwd)
log=$OUTPUT/pip.log
: >"$log"

# Colab's pins as constraints: every `name==version` line, without Colab's local builds.
constraints=$OUTPUT/colab-constraints.txt
grep -E '^[A-Za-z0-9_.-]+==' "$PINS" >"$constraints"

pip_quiet() {  # pip's chatter goes to the log, shown only when pip fails
  if ! "$@" >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "colab-stack: '$*' failed; pip's log is $log" >&2
    exit 1
  fi
}

names() {  # the package names of a `pip freeze` listing, lower case, one a line
  sed -E 's/(==| @ ).*//' | tr '[:upper:]' '[:lower:]' | sort -u
}

version_changes() {  # "name old -> new" for each package of listing $1 whose version differs in $2
  awk '{ split($0, part, /==| @ /); name = tolower(part[1]); version = part[2] }
       NR == FNR { before[name] = version; next }
       (name in before) && before[name] != version { print name " " before[name] " -> " version }
       ' "$1" "$2"
  awk '{ split($0, part, /==| @ /); name = tolower(part[1]) }
       NR == FNR { seen[name] = 1; next } { delete seen[name] }
       END { for (name in seen) print name " removed" }' "$1" "$2"
}

# One run at a time uses the cached environment (CI runs on one machine may overlap).
exec 9>"$CACHE_ROOT/colab-stack-$key.lock"
flock 9

snapshot=$VENV/colab-snapshot.txt  # the environment as built: Colab's versions, before the wheel
if [ ! -f "$snapshot" ]; then
  install_start=$(date +%s)
  echo "colab-stack: building Colab's stack with $("$PYTHON" --version) in $VENV" \
       "(first time: a few minutes)" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  pip_quiet "$VENV/bin/python" -m pip install --quiet -c "$constraints" "${COLAB_PACKAGES[@]}"
  # Written last: an interrupted build has no snapshot and is built again.
  "$VENV/bin/python" -m pip freeze --all >"$snapshot.partial"
  mv "$snapshot.partial" "$snapshot"
  echo "colab-stack: built in $(( $(date +%s) - install_start )) s" >&2
else
  # Back to the snapshot: remove what an earlier run's install added, restore what it changed.
  "$VENV/bin/python" -m pip freeze --all >"$OUTPUT/before-reset.txt"
  extra=$(comm -23 <(names <"$OUTPUT/before-reset.txt") <(names <"$snapshot"))
  if [ -n "$extra" ]; then
    # shellcheck disable=SC2086  # one package name a word
    pip_quiet "$VENV/bin/python" -m pip uninstall --yes $extra
  fi
  changed=$(comm -13 <(sort "$OUTPUT/before-reset.txt") <(sort "$snapshot") | grep '==' || true)
  if [ -n "$changed" ]; then
    # shellcheck disable=SC2086
    pip_quiet "$VENV/bin/python" -m pip install --quiet --no-deps $changed
  fi
fi

# Colab's cell: `pip install git+<repository>@v<version>`; here this checkout's wheel, built
# the same way, installed the same way (no constraints: pip may change anything it wants to).
rm -rf "$OUTPUT/wheel"
pip_quiet "$VENV/bin/python" -m pip wheel --quiet --no-deps -w "$OUTPUT/wheel" .
wheel=$(ls "$OUTPUT"/wheel/ig_tutorial-*.whl)
pip_quiet "$VENV/bin/python" -m pip install --quiet "$wheel"
"$VENV/bin/python" -m pip freeze --all >"$OUTPUT/after-install.txt"
changed=$(version_changes "$snapshot" "$OUTPUT/after-install.txt")
added=$(comm -13 <(names <"$snapshot") <(names <"$OUTPUT/after-install.txt") | tr '\n' ' ')
echo "colab-stack: installing the wheel added: ${added:-nothing}"
if [ -n "$changed" ]; then
  echo "colab-stack: FAILED: installing the wheel changed Colab's preinstalled packages:" >&2
  echo "$changed" | sed 's/^/  /' >&2
  exit 1
fi

# The checkout's own package must not shadow the installed wheel (the kernels inherit this).
unset PYTHONPATH
# TensorFlow logs as it does for a learner (warnings and errors), so that the report shows them.
unset TF_CPP_MIN_LOG_LEVEL
# debugpy's note at every kernel start on Python 3.13 ("frozen modules are being used, which may
# make the debugger miss breakpoints"): about the debugger only, never in a cell.
export PYDEVD_DISABLE_FILE_VALIDATION=1
"$VENV/bin/python" scripts/colab_stack.py --output "$OUTPUT" "$@"
echo "colab-stack finished in $(( $(date +%s) - start )) s"
