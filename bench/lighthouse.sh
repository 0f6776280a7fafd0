#!/usr/bin/env bash
# Lighthouse (the frontend's npm dev dependency, 12.2.3) on Debian's chromium, never a downloaded browser,
# against `fapiao run` started here on a fresh data directory: the sign-in page, and the board with the Upload
# screen signed in as admin (the session cookie goes in as an extra header). Categories: accessibility and
# best practices. Lighthouse 12 has no PWA category any more: installability (manifest, icons, service worker)
# is checked by tests/e2e/test_offline_uploads.py::test_the_app_is_installable over CDP.
# Usage: bench/lighthouse.sh   (after `make install`); JSON reports go to bench/results/lighthouse-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
PY=.venv/bin/python
PORT="$($PY -c 'from tests.procs import free_port; print(free_port())')"
URL="http://127.0.0.1:$PORT"
PASSWORD="lighthouse password 1"
DATA="$(mktemp -d)"
mkdir -p bench/results

FAPIAO_DATA_DIR="$DATA" FAPIAO_PORT="$PORT" FAPIAO_SECRET_KEY=lighthouse FAPIAO_CONNECTOR=off \
  FAPIAO_ADMIN_PASSWORD="$PASSWORD" FAPIAO_FRONTEND_DIST="$PWD/frontend/dist" \
  setsid "$PY" -m backend.cli run >"$DATA/run.log" 2>&1 &
RUN=$!
trap 'kill -- -"$RUN" 2>/dev/null || true; wait "$RUN" 2>/dev/null || true; rm -rf "$DATA"' EXIT

COOKIE="$($PY - "$URL" "$PASSWORD" <<'PYEOF'
import sys, time, requests
url, password = sys.argv[1], sys.argv[2]
for _ in range(600):
    try:
        requests.get(url + "/api/auth/me", timeout=1)
        break
    except requests.ConnectionError:
        time.sleep(0.1)
s = requests.Session()
s.headers["X-Requested-With"] = "lighthouse"
s.post(url + "/api/auth/login", json={"username": "admin", "password": password}).raise_for_status()
print("; ".join(f"{c.name}={c.value}" for c in s.cookies))
PYEOF
)"

audit() {  # name, extra lighthouse arguments
  local name=$1; shift
  (cd frontend && npx --no-install lighthouse "$URL/" --quiet --only-categories=accessibility,best-practices \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu" --output=json \
    --output-path="../bench/results/lighthouse-$name.json" "$@")
  node -e '
    const r = require(process.argv[1]);
    const scores = Object.values(r.categories).map((c) => `${c.id} ${Math.round(c.score * 100)}`).join(", ");
    const failed = Object.values(r.audits).filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === "binary")
      .map((a) => a.id);
    console.log(`${process.argv[2]}: ${scores}${failed.length ? "; failing: " + failed.join(" ") : ""}`);
  ' "$PWD/bench/results/lighthouse-$name.json" "$name"
}

audit signin
audit upload --extra-headers="{\"Cookie\": \"$COOKIE\"}"
echo "installable: $($PY -m bench.installable "$URL/")"
