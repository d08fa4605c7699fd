#!/usr/bin/env bash
# Browser tests of the benchmark portal: starts the demo federation with the portal, then runs
# axe-core in headless Chromium on every dashboard page type and on a node's HTML report, in
# German and English (fails on any serious or critical violation), and checks a screenshot of
# each (axe.mjs). Then the journeys through a node's browser workplace with Playwright against an
# aggregator and two nodes, and against a hosted node with two administrations (workplace.sh,
# workplace.mjs).
#
# Needs Debian's chromium, node (18+) and npm; installs them with apt-get if missing and root.
# axe-core, ws and playwright-core come from npm into a temporary folder (Playwright drives
# Debian's chromium; it never downloads a browser). Screenshots land in $OUT (default: a
# temporary folder, printed).
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if ((${#need[@]})); then
  echo "installing ${need[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi

work=$(mktemp -d)
OUT=${OUT:-$work/screenshots}
mkdir -p "$OUT"
demo_pid=
cleanup() {
  if [[ -n "$demo_pid" ]]; then kill "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

echo "== npm install axe-core ws playwright-core"
npm install --prefix "$work" --no-audit --no-fund --silent axe-core@4 ws@8 playwright-core@1 >/dev/null

echo "== building the demo"
cargo build --locked --release --bin sovbench-demo
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
echo "== demo federation with the portal on 127.0.0.1:$port"
target/release/sovbench-demo --nodes 200 --dir "$work/federation" --serve --http-listen "127.0.0.1:$port" >"$work/demo.log" 2>&1 &
demo_pid=$!
url=
for _ in $(seq 1 600); do
  url=$(grep -o 'Portal: http://[^ ]*' "$work/demo.log" | head -1 | cut -d' ' -f2 || true)
  [[ -n "$url" ]] && break
  kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.log"; echo "demo exited"; exit 1; }
  sleep 1
done
[[ -n "$url" ]] || { cat "$work/demo.log"; echo "no portal URL within 600 s"; exit 1; }
echo "portal: $url"

echo "== the node's HTML report (one demo administration, German and English)"
cargo build --locked --release --bin sovbench-node
nodes=("$work"/federation/nodes/node-*)
node_dir=${nodes[0]}
for lang in de en; do
  target/release/sovbench-node --data "$node_dir" --lang "$lang" report --output "$work/report-$lang.html"
done
extra="[[\"node-report\",\"file://$work/report-de.html\",\"de\"],[\"node-report\",\"file://$work/report-en.html\",\"en\"]]"

echo "== axe-core and screenshots in headless Chromium"
SOVBENCH_EXTRA_PAGES="$extra" NODE_MODULES="$work/node_modules" \
  node tests/browser/axe.mjs "$(command -v chromium)" "${url%/}" "$OUT"
echo "screenshots: $OUT"

echo "== journeys through the browser workplace (Playwright; aggregator and two nodes)"
cargo build --locked --release --bin sovbench-aggregator
# The demo (still serving) printed its workplace: "Arbeitsplatz / Workplace: URL  Konto/account:
# NAME  Passwort/password: PASSWORD".
demo_workplace=$(sed -n 's|^Arbeitsplatz / Workplace: \([^ ]*\)  Konto/account: \([^ ]*\)  Passwort/password: \([^ ]*\)$|\1 \2 \3|p' "$work/demo.log" | head -1)
[[ -n "$demo_workplace" ]] || { cat "$work/demo.log"; echo "the demo printed no workplace"; exit 1; }
DEMO_WORKPLACE="$demo_workplace" OUT="$OUT/workplace" NODE_MODULES="$work/node_modules" \
  CHROMIUM="$(command -v chromium)" bash tests/browser/workplace.sh target/release

echo "== log-in through an identity provider (OpenID Connect, local oidc-provider from npm)"
bash tests/oidc/run.sh target/release
