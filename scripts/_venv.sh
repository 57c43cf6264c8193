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
    echo "installing rayshop$1 into .venv (first run takes a few minutes)..."
    if ! { .venv/bin/python -m pip install --upgrade pip &&
        .venv/bin/python -m pip install --editable ".$1"; } >.venv/install.log 2>&1; then
        cat .venv/install.log
        exit 1
    fi
    touch "$stamp"
fi
