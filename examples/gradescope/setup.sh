#!/usr/bin/env bash
# Gradescope autograder setup: runs once when the autograder image is built.
# Upload a zip of this folder with the gradkey source beside it as gradkey/
# (source/gradkey/pyproject.toml), or set GRADKEY_SOURCE to a pip requirement.
#
# gradkey needs the Python its pyproject.toml asks for (requires-python);
# Gradescope's default Ubuntu 22.04 image has 3.10, so a newer one is
# installed: from the distribution when it has one (python3.11 on 22.04),
# otherwise with uv's standalone Python builds.
set -euo pipefail
SOURCE="${SOURCE_DIR:-/autograder/source}"
GRADKEY_SOURCE="${GRADKEY_SOURCE:-$SOURCE/gradkey}"
PREFIX="${GRADKEY_PREFIX:-/opt/gradkey}"
need="3.11"
if [ -f "$GRADKEY_SOURCE/pyproject.toml" ]; then
  need=$(sed -n 's/^requires-python *= *">= *\([0-9][0-9.]*\)".*/\1/p' "$GRADKEY_SOURCE/pyproject.toml")
  need="${need:-3.11}"
fi

satisfies() {  # does interpreter $1 satisfy requires-python >= $need?
  command -v "$1" >/dev/null 2>&1 &&
    "$1" -c "import sys; sys.exit(sys.version_info[:2] < tuple(int(p) for p in '$need'.split('.')))" 2>/dev/null
}

pick() {
  for py in python3.13 python3.12 python3.11 python3; do
    if satisfies "$py" && "$py" -c "import venv, ensurepip" 2>/dev/null; then command -v "$py"; return 0; fi
  done
  return 1
}

if [ "${GRADKEY_SETUP_DRY_RUN:-}" = 1 ]; then  # report the choice only (used by gradkey's tests)
  echo "requires-python >= $need: $(pick || echo 'none installed: would install one')"
  exit 0
fi

PY=$(pick) || {
  apt-get update -qq
  minor="python${need}"
  if apt-get install -y -qq "$minor" "$minor-venv" >/dev/null 2>&1 && satisfies "$minor"; then
    PY=$(command -v "$minor")
  else   # no such package in this image's distribution: a standalone build
    apt-get install -y -qq curl ca-certificates >/dev/null
    curl -LsSf https://astral.sh/uv/install.sh | env UV_INSTALL_DIR=/usr/local/bin sh
    uv python install "$need"
    PY=$(uv python find "$need")
  fi
}
echo "gradkey setup: using $PY ($("$PY" --version))"
"$PY" -m venv "$PREFIX"
"$PREFIX/bin/pip" install --quiet --upgrade pip
"$PREFIX/bin/pip" install --quiet "$GRADKEY_SOURCE"
"$PREFIX/bin/gradkey" --version
