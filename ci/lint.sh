#!/usr/bin/env bash
# Style checks (run by developers before committing; not part of the test suite).
set -euo pipefail
cd "$(dirname "$0")/.."
ruff check src tests benchmarks
cython-lint src/jwcore
