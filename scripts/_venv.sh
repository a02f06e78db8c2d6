# Sourced by scripts/run and scripts/test: make .venv and install the project with the given
# extras, skipping pip when nothing changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${OUTREACH_VENV:-$ROOT/.venv}"
EXTRAS="${1:-}"
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1))." >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating the virtual environment in $VENV ..."
  "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.installed-$(echo "$EXTRAS" | tr ',' '-')"
WANT="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "Installing the project${EXTRAS:+ with extras [$EXTRAS]} ..."
  target="$ROOT"
  [ -z "$EXTRAS" ] || target="$ROOT[$EXTRAS]"
  # pip's notices about local mirrors that do not exist are noise; real errors still show.
  "$VENV/bin/python" -m pip install --quiet --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
  "$VENV/bin/python" -m pip install --quiet -e "$target" 2>&1 \
    | { grep -vE "^WARNING: Location|BuildBackendWarning|^ +(return|with|!!|\*+|Please|name as)|^ *$" || true; }
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "pip install failed" >&2; exit 1; }
  echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
