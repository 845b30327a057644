# Sourced by scripts/demo and scripts/test: make .venv when missing, (re)install when pyproject changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "chiso needs Python 3.11 or newer (found: $("$PY" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "• making .venv"
  "$PY" -m venv .venv
fi
EXTRAS="${CHISO_EXTRAS:-dev}"
STAMP=".venv/.chiso-installed-$EXTRAS"
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  echo "• installing chiso[$EXTRAS] into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -m pip install --quiet -e ".[$EXTRAS]" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import chiso" && touch "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
