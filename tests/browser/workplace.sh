#!/usr/bin/env bash
# Journeys through the browser workplace (Playwright in headless Chromium, workplace.mjs)
# (log-in, self-test, language, security, inventory import and exit scenario, a round sent,
# closed, published and compared, peers with double opt-in, axe-core on every page type)
# against real processes: one aggregator (mode direct, a round open) and two nodes, each
# serving its own workplace on a free port of 127.0.0.1, and a node C on the command line only
# (it takes part in the round so that a cohort of k = 2 is published). Node A has an approver and a reader,
# node B an approver. The journeys log in, fill in the self-test, switch the language, try
# what must be refused (CSRF, role, another node's session) and run axe-core on every page
# type in German and English; screenshots land in $OUT.
#
# Then a hosted node (`hosting init`, `tenants add`) with two administrations, a and b, on the
# same aggregator, serving both workplaces under /t/a/ and /t/b/ from one process: the same
# journeys (log-in, self-test, inventory, a round r2 sent by both, published and compared, peers
# with double opt-in between a and b) with the prefix in their URLs, the isolation between the
# two in the browser, and axe-core on the entry page and on tenant pages; screenshots in
# $OUT/hosted.
#
# Usage: tests/browser/workplace.sh [BIN_DIR]   (default: target/debug; build first with
# `cargo build --bin sovbench-node --bin sovbench-aggregator`)
# Environment: OUT (screenshots; default a temporary folder, printed), WORKPLACE_ONLY and
# HOSTED_ONLY (the journeys to run on the nodes of their own and on the hosted node; default for
# the hosted node: login, selftest, security, inventory, round, peers, isolation, accessibility),
# DEMO_WORKPLACE ("URL ACCOUNT PASSWORD" of a running `sovbench-demo --serve`'s workplace, for
# the journey `demo`), NODE_MODULES (a folder
# with playwright-core and axe-core; installed from npm into a temporary folder otherwise),
# CHROMIUM (default: Debian's chromium; Playwright never downloads a browser here).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=$(cd "${1:-target/debug}" && pwd)
W=$(mktemp -d)
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [[ -n "$p" ]] && kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "workplace: FAILED: $*" >&2; for f in "$W"/*.log; do echo "== $f" >&2; tail -20 "$f" >&2; done; exit 1; }
started=$(date +%s)

CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[[ -x "$CHROMIUM" ]] || fail "no chromium (apt-get install chromium)"
if [[ -z "${NODE_MODULES:-}" ]]; then
  npm install --prefix "$W/npm" --no-audit --no-fund --silent playwright-core@1 axe-core@4 >/dev/null
  NODE_MODULES=$W/npm/node_modules
fi

A="$B/sovbench-aggregator --data $W/agg"
N="$B/sovbench-node"
export SOVBENCH_LANG=en
json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")){try{const j=JSON.parse(l);if(j[process.argv[1]]!==undefined){console.log(j[process.argv[1]]);return}}catch{}}process.exit(1)})' "$1"; }
key_of() { grep -oE '[A-Za-z0-9+/]{43}=' "$1" | head -1; }
wait_for() { # FILE PID: waits until FILE is not empty while PID runs
  for _ in $(seq 1 100); do
    [[ -s "$1" ]] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# The aggregator, serving on a free port (its address in serve.addr), with a round open.
$A init --consortium "Browser-Test" > "$W/agg-init.log"
AKEY=$($A key | grep -oE '[A-Za-z0-9+/]{43}=' | head -1)
$A serve --listen 127.0.0.1:0 > "$W/agg-serve.log" 2>&1 & PIDS+=($!)
wait_for "$W/agg/serve.addr" "${PIDS[-1]}" || fail "the aggregator did not write serve.addr"
URL=$(head -1 "$W/agg/serve.addr")

# Two administrations, each with its first account (approver) from a password file.
printf 'A-Passwort-fuer-Tests-1\n' > "$W/pw-a"
printf 'B-Passwort-fuer-Tests-2\n' > "$W/pw-b"
printf 'C-Passwort-fuer-Tests-3\n' > "$W/pw-c"
printf 'Leser-Passwort-fuer-Tests\n' > "$W/pw-reader"
declare -A WP
# Node C takes part in the round from the command line only (no workplace), so that a cohort
# reaches the round's minimum of 2 and something is published.
for n in a b c; do
  name="Gemeinde ${n^^}"
  $N --data "$W/node-$n" --json init --name "$name" --kind gemeinde --state DE-SH --population 4200 \
    --aggregator "$URL" --aggregator-key "$AKEY" --account "anna-$n" --password-file "$W/pw-$n" \
    > "$W/node-$n-init.log" || fail "init of node $n"
  $A enrol --key "$(key_of "$W/node-$n-init.log")" --name "$name" --kind gemeinde --state DE-SH \
    --population 4200 > /dev/null || fail "enrolment of node $n"
  # The test round promises k = 2 (a real consortium's nodes insist on 10).
  sed -i 's/^min_cohort = 10$/min_cohort = 2/' "$W/node-$n/node.toml"
  grep -q '^min_cohort = 2$' "$W/node-$n/node.toml" || fail "node $n's node.toml has no min_cohort"
done
$N --data "$W/node-c" assess --file docs/samples/selbsttest.toml > /dev/null || fail "self-test of node C"
$N --data "$W/node-a" accounts add lea --role reader --password-file "$W/pw-reader" > /dev/null
# All five dimensions at ε 0.25 each: ε 1.25 per node, within the nodes' default policy.
$A round open r1 --mode direct --epsilon 0.25 --releases-per-node 0 --min-cohort 2 --closes-in 1h \
  > "$W/round.log" || fail "opening round r1"
$N --data "$W/node-c" submit > "$W/node-c-submit.log" 2>&1 || fail "node C's submission"
for n in a b; do
  $N --data "$W/node-$n" --json serve --interval 3600 --http-listen 127.0.0.1:0 \
    > "$W/node-$n-serve.log" 2>&1 & PIDS+=($!)
  for _ in $(seq 1 100); do
    WP[$n]=$(json_field workplace 2>/dev/null < "$W/node-$n-serve.log" || true)
    [[ -n "${WP[$n]}" ]] && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || fail "node $n's serve exited"
    sleep 0.1
  done
  [[ -n "${WP[$n]}" ]] || fail "node $n printed no workplace URL"
done
echo "workplace: aggregator $URL, node A ${WP[a]}, node B ${WP[b]} ($(( $(date +%s) - started )) s)"

config=$(cat <<EOF
{"a": {"url": "${WP[a]%/}", "approver": ["anna-a", "$(head -1 "$W/pw-a")"],
       "reader": ["lea", "$(head -1 "$W/pw-reader")"]},
 "b": {"url": "${WP[b]%/}", "approver": ["anna-b", "$(head -1 "$W/pw-b")"]},
 "aggregator": ["$B/sovbench-aggregator", "--data", "$W/agg"], "round": "r1", "work": "$W"
EOF
)
# The demo's workplace, if one runs: DEMO_WORKPLACE="URL ACCOUNT PASSWORD".
if [[ -n "${DEMO_WORKPLACE:-}" ]]; then
  read -r demo_url demo_account demo_password <<< "$DEMO_WORKPLACE"
  config+=", \"demo\": {\"url\": \"${demo_url%/}\", \"approver\": [\"$demo_account\", \"$demo_password\"]}"
fi
config+="}"
WORKPLACE="$config" NODE_MODULES="$NODE_MODULES" CHROMIUM="$CHROMIUM" OUT="$OUT" \
  node tests/browser/workplace.mjs || fail "journeys"
echo "workplace: ok in $(( $(date +%s) - started )) s; screenshots: $OUT"

# The hosted node: two administrations (tenants a and b), each with its approver from a password
# file, a reader in a, enrolled at the same aggregator; round r2 for them (k = 2).
hosted_started=$(date +%s)
H="$W/hosted"
$N --data "$H" hosting init --provider "KDN Testland" > "$W/hosted-init.log" || fail "hosting init"
for t in a b; do
  name="Stadt ${t^^} (gehostet)"
  printf 'Gehostet-%s-Passwort-1\n' "$t" > "$W/pw-h$t"
  $N --data "$H" --json tenants add "$t" --name "$name" --kind gemeinde --state DE-NW --population 4000 \
    --aggregator "$URL" --aggregator-key "$AKEY" --account "hanna-$t" --password-file "$W/pw-h$t" \
    > "$W/hosted-$t-add.log" || fail "tenants add $t"
  $A enrol --key "$(key_of "$W/hosted-$t-add.log")" --name "$name" --kind gemeinde --state DE-NW \
    --population 4000 > /dev/null || fail "enrolment of tenant $t"
  sed -i 's/^min_cohort = 10$/min_cohort = 2/' "$H/tenants/$t/node.toml"
  grep -q '^min_cohort = 2$' "$H/tenants/$t/node.toml" || fail "tenant $t's node.toml has no min_cohort"
done
tenants=$($N --data "$H" tenants list | cut -d" " -f1 | tr "\n" " ")
[[ "$tenants" == "a b " ]] || fail "tenants list: $tenants"
$N --data "$H/tenants/a" accounts add lea --role reader --password-file "$W/pw-reader" > /dev/null
# (r1 is closed by the journey round; with WORKPLACE_ONLY it may still be open.)
$A round close r1 > /dev/null 2>&1 || true
$A round open r2 --mode direct --epsilon 0.25 --releases-per-node 0 --min-cohort 2 --closes-in 1h \
  > "$W/round-r2.log" || fail "opening round r2"
$N --data "$H" --json serve --interval 3600 --http-listen 127.0.0.1:0 > "$W/hosted-serve.log" 2>&1 & PIDS+=($!)
HWP=
for _ in $(seq 1 100); do
  HWP=$(json_field workplace 2>/dev/null < "$W/hosted-serve.log" || true)
  [[ -n "$HWP" ]] && break
  kill -0 "${PIDS[-1]}" 2>/dev/null || fail "the hosted node's serve exited"
  sleep 0.1
done
[[ -n "$HWP" ]] || fail "the hosted node printed no workplace URL"
HWP=${HWP%/}
echo "workplace: hosted node $HWP/t/a/ and $HWP/t/b/"
hosted=$(cat <<EOF
{"hosted": "$HWP",
 "a": {"url": "$HWP/t/a", "approver": ["hanna-a", "$(head -1 "$W/pw-ha")"],
       "reader": ["lea", "$(head -1 "$W/pw-reader")"]},
 "b": {"url": "$HWP/t/b", "approver": ["hanna-b", "$(head -1 "$W/pw-hb")"]},
 "aggregator": ["$B/sovbench-aggregator", "--data", "$W/agg"], "round": "r2", "participants": 2,
 "work": "$W"}
EOF
)
mkdir -p "$OUT/hosted"
WORKPLACE="$hosted" WORKPLACE_ONLY=${HOSTED_ONLY:-login,selftest,security,inventory,round,peers,isolation,accessibility} \
  NODE_MODULES="$NODE_MODULES" CHROMIUM="$CHROMIUM" OUT="$OUT/hosted" \
  node tests/browser/workplace.mjs || fail "journeys on the hosted node"
echo "workplace: hosted node ok in $(( $(date +%s) - hosted_started )) s; all in $(( $(date +%s) - started )) s"
