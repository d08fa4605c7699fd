#!/usr/bin/env bash
# Log-in through an identity provider (OpenID Connect) end to end: a local, OpenID Certified
# provider (panva's oidc-provider from npm, provider.mjs) on 127.0.0.1, a node whose workplace is
# configured for it in node.toml ([oidc]), and a scripted browser (drive.mjs) that logs in as
# anna (approver), erik (editor through a group path) and bob (no role: 403), tampers with the
# state, and logs in with a local account beside it.
#
# Usage: tests/oidc/run.sh [BIN_DIR]   (default: target/debug; `cargo build --bin sovbench-node`
# is run first unless BIN_DIR is given)
# Needs node (20+) and npm; installs them with apt-get if missing and root. NODE_MODULES: a
# folder with oidc-provider (installed from npm into a temporary folder otherwise).
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if ((${#need[@]})); then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi

if [[ -n "${1:-}" ]]; then
  B=$(cd "$1" && pwd)
else
  cargo build --locked --bin sovbench-node
  B=$(cd "${CARGO_TARGET_DIR:-target}/debug" && pwd)
fi
W=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [[ -n "$p" ]] && kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "oidc: FAILED: $*" >&2; for f in "$W"/*.log; do echo "== $f" >&2; tail -30 "$f" >&2; done; exit 1; }
started=$(date +%s)

if [[ -z "${NODE_MODULES:-}" ]]; then
  npm install --prefix "$W/npm" --no-audit --no-fund --silent oidc-provider@9 >/dev/null
  NODE_MODULES=$W/npm/node_modules
fi
export NODE_MODULES
# Everything here is on 127.0.0.1: no proxy in between.
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
OP=$(free_port)
WPORT=$(free_port)
ISSUER="http://127.0.0.1:$OP"
SECRET=$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')

OIDC_PORT=$OP OIDC_CLIENT_ID=sovbench OIDC_CLIENT_SECRET=$SECRET \
  OIDC_REDIRECT_URI="http://127.0.0.1:$WPORT/oidc/callback" \
  node tests/oidc/provider.mjs > "$W/provider.log" 2>&1 & PIDS+=($!)

# The node, with a local account beside the provider, and [oidc] in its node.toml.
N="$B/sovbench-node --data $W/node"
printf 'Lokales-Passwort-fuer-Tests\n' > "$W/pw"
$N --json init --name "Gemeinde OIDC" --kind gemeinde --state DE-HE --population 4200 \
  --account lokal --password-file "$W/pw" > "$W/init.log" 2>&1 || fail "init"
( umask 077; printf '%s\n' "$SECRET" > "$W/node/oidc-secret" )
cat >> "$W/node/node.toml" <<TOML

[oidc]
issuer = "$ISSUER"
name = "Test-Anbieter"
client_id = "sovbench"
client_secret_file = "oidc-secret"
redirect_url = "http://127.0.0.1:$WPORT/oidc/callback"

[oidc.roles]
"sovbench-approver" = "approver"
"sovbench-editor" = "editor"
TOML

for _ in $(seq 1 100); do
  grep -q '^issuer: ' "$W/provider.log" && break
  kill -0 "${PIDS[0]}" 2>/dev/null || fail "the provider exited"
  sleep 0.1
done
grep -q '^issuer: ' "$W/provider.log" || fail "the provider did not start"

$N serve --interval 3600 --http-listen "127.0.0.1:$WPORT" > "$W/node.log" 2>&1 & PIDS+=($!)
for _ in $(seq 1 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$WPORT/login" && break
  kill -0 "${PIDS[1]}" 2>/dev/null || fail "the node's serve exited"
  sleep 0.1
done
echo "oidc: provider $ISSUER, workplace http://127.0.0.1:$WPORT ($(( $(date +%s) - started )) s)"

LOCAL_PASSWORD=$(head -1 "$W/pw") node tests/oidc/drive.mjs "http://127.0.0.1:$WPORT" \
  || fail "the log-in journeys"
grep -q 'log-in refused: no group maps to a role' "$W/node.log" \
  || fail "the refusal of bob is not in the node's log"
echo "oidc: done in $(( $(date +%s) - started )) s"
