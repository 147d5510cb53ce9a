# Shared by scripts/demo and scripts/test: make .venv with Python 3.11+ and install voiceguide into it.
# Usage: source scripts/_setup.sh [extras]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python_bin=""
for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11 python; do
  [ -n "$candidate" ] || continue
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python_bin=$candidate
    break
  fi
done
if [ -z "$python_bin" ]; then
  echo "voiceguide needs Python 3.11 or newer; install it, or set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "setting up .venv with $("$python_bin" --version)" >&2
  "$python_bin" -m venv .venv
fi
extras=${SETUP_EXTRAS:-}
target="."
[ -n "$extras" ] && target=".[$extras]"
stamp=".venv/.voiceguide-installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "installing voiceguide${extras:+ with $extras extras} (first run downloads the dependencies)" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$target" 2>&1 | grep -v '^WARNING: Location' >&2 || true
  .venv/bin/python -c 'import voiceguide.cli' || { echo "installation failed; see the messages above" >&2; exit 1; }
  touch "$stamp"
fi
