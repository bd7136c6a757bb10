# Sourced by scripts/*: makes .venv on first use and re-installs only when pyproject.toml changes.
# Leaves VENV and PY set, and .venv/bin first on PATH (generator post-hooks need ruff there).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VRECONNECT_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
stamp="$VENV/.vreconnect-installed"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ ! -x "$PY" ]; then
    echo "bootstrap: creating virtual environment in $VENV" >&2
    python3 -m venv "$VENV"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "bootstrap: installing vreconnect and its pinned tools (first run takes a minute)" >&2
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$PY" -m pip install --quiet --disable-pip-version-check -e "$ROOT[dev]" >&2
    echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
export PYTHONDONTWRITEBYTECODE=1
cd "$ROOT"
