# Shared by scripts/up and scripts/test: a project virtualenv with the project installed.
# Usage: source scripts/_venv.sh EXTRAS   (EXTRAS: "" or "[test]")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export RAY_USAGE_STATS_ENABLED=0
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=".venv/.installed$1"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet --editable ".$1"
    touch "$stamp"
fi
