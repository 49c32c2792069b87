#!/usr/bin/env bash
# The whole suite: on SQLite always, then on PostgreSQL when a server answers. With
# PAPPUS_REQUIRE_SERVICES=1 (CI) a missing PostgreSQL or Redis is a failure, not a skip.
set -euo pipefail
BIN="${VENV:-.venv}/bin"
PG_URL="${PAPPUS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/pappus}"
export PAPPUS_TEST_REDIS_URL="${PAPPUS_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
# PostgreSQL requires a secret key, and the settings package checks it before config/settings/test.py
# can set one (importing config.settings.test runs config/settings/__init__.py first).
export PAPPUS_SECRET_KEY="${PAPPUS_SECRET_KEY:-test-only-secret-key-not-for-production-use-0123456789}"
mkdir -p test-artifacts
# Workers (pytest-xdist): one per core, at most four; PAPPUS_TEST_WORKERS=0 runs in one process.
# Tests that use the shared peers stay on one worker (``--dist loadgroup``, see conftest.py).
WORKERS="${PAPPUS_TEST_WORKERS:-auto}"
if [ "$WORKERS" = "auto" ]; then
  WORKERS=$(nproc 2>/dev/null || echo 1)
  [ "$WORKERS" -gt 4 ] && WORKERS=4
fi
PARALLEL=()
if [ "$WORKERS" -gt 1 ]; then
  PARALLEL=(-n "$WORKERS" --dist loadgroup)
fi

echo "== suite on SQLite"
env -u PAPPUS_DATABASE_URL "$BIN/pytest" "${PARALLEL[@]}" "$@"

if "$BIN/python" - "$PG_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1].replace("/pappus", "/postgres"), connect_timeout=3).close()
except Exception as error:
    print(f"PostgreSQL not reachable at {sys.argv[1]}: {error}".splitlines()[0], file=sys.stderr)
    sys.exit(1)
PY
then
  echo "== suite on PostgreSQL ($PG_URL)"
  PAPPUS_DATABASE_URL="$PG_URL" "$BIN/pytest" "${PARALLEL[@]}" "$@"
elif [ "${PAPPUS_REQUIRE_SERVICES:-0}" = "1" ]; then
  echo "PostgreSQL is required (PAPPUS_REQUIRE_SERVICES=1) but not reachable" >&2
  exit 1
else
  echo "SKIPPED: the PostgreSQL run of the suite (no server at $PG_URL; set PAPPUS_TEST_POSTGRES_URL)"
fi
