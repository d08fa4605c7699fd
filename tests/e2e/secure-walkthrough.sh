#!/bin/bash
# The README's walkthrough of mode secure with real processes, as an operator, five trustee
# institutions and twelve administrations would run it: aggregator, 5 × sovbench-trustee
# (init, dkg, serve) and 12 × sovbench-node (init, config committee, assess, submit, compare),
# all over gRPC on 127.0.0.1. Fails unless the round is published, every node can compare against
# it, and the trustees decrypted it.
#
# Usage: tests/e2e/secure-walkthrough.sh [BIN_DIR]   (default: target/debug; build first with
# `cargo build --locked --bins`)
set -euo pipefail
B=$(cd "${1:-target/debug}" && pwd)
W=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
export SOVBENCH_LANG=en
fail() { echo "secure walkthrough: FAILED: $*" >&2; for f in "$W"/*.log; do echo "== $f" >&2; tail -20 "$f" >&2; done; exit 1; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
A="$B/sovbench-aggregator --data $W/agg"
T="$B/sovbench-trustee"
N="$B/sovbench-node"
key_of() { grep -oE '[A-Za-z0-9+/]{43}=' "$1" | head -1; }

$A init --consortium "Walkthrough" > "$W/agg-init.log"
$A key > "$W/agg-key.log"
AKEY=$(key_of "$W/agg-key.log")
TRUSTEES=()
for i in 1 2 3 4 5; do
  $T init --dir "$W/t$i" --aggregator "$URL" --aggregator-key "$AKEY" > "$W/t$i-init.log"
  TRUSTEES+=(--trustee "$(key_of "$W/t$i-init.log")")
done
$A committee create walkthrough --threshold 3 "${TRUSTEES[@]}" > "$W/committee.log"

# Key generation: the trustees talk to the serving aggregator.
$A serve --listen "127.0.0.1:$PORT" > "$W/serve-dkg.log" 2>&1 & SERVE=$!; PIDS+=("$SERVE")
sleep 1
DKG=()
for i in 1 2 3 4 5; do
  timeout 120 $T dkg --dir "$W/t$i" --ceremony walkthrough --poll 1 > "$W/t$i-dkg.log" 2>&1 & DKG+=($!)
done
for p in "${DKG[@]}"; do wait "$p" || fail "key generation"; done
kill -INT "$SERVE"; wait "$SERVE" || true
FP=$($A committee list --json | python3 -c 'import json,sys
d=json.load(sys.stdin)
print(next(c["fingerprint"] for c in d if c["id"]=="walkthrough" and c["complete"]))') || fail "committee not complete"
for i in 1 2 3 4 5; do grep -q "$FP" "$W/t$i-dkg.log" || fail "trustee $i derived another committee"; done

# Enrolment and the round (the store is the operator's while serve is stopped).
for i in $(seq 1 12); do
  $N --data "$W/n$i" init --name "Gemeinde $i" --kind gemeinde --state DE-SH \
    --population $((3000 + i)) --aggregator "$URL" --aggregator-key "$AKEY" > "$W/n$i-init.log"
  $A enrol --key "$(key_of "$W/n$i-init.log")" --name "Gemeinde $i" --kind gemeinde \
    --state DE-SH --population $((3000 + i)) > /dev/null
  $N --data "$W/n$i" config committee "$FP" > /dev/null
  $N --data "$W/n$i" assess --file docs/samples/selbsttest.toml > /dev/null
done
$A round open r1 --mode secure --committee walkthrough --epsilon 2 --min-cohort 10 --closes-in 40s \
  > "$W/round.log"
$A serve --listen "127.0.0.1:$PORT" --noise-wait 5 > "$W/serve.log" 2>&1 & PIDS+=($!)
sleep 1
for i in $(seq 1 12); do
  $N --data "$W/n$i" submit > "$W/n$i-submit.log" 2>&1 || fail "submission of node $i"
done
for i in 1 2 3 4 5; do $T serve --dir "$W/t$i" --poll 1 > "$W/t$i-serve.log" 2>&1 & PIDS+=($!); done
for _ in $(seq 1 60); do
  if $N --data "$W/n1" compare > "$W/compare.log" 2>&1; then break; fi
  sleep 2
done
grep -q "publication of round r1" "$W/compare.log" || fail "no publication of round r1"
grep -q "12 contributors" "$W/compare.log" || fail "not all 12 submissions counted"
for i in $(seq 2 12); do $N --data "$W/n$i" compare > /dev/null 2>&1 || fail "compare on node $i"; done
DECRYPTED=$(grep -l "decrypt" "$W"/t*-serve.log | wc -l)
[ "$DECRYPTED" -ge 3 ] || fail "only $DECRYPTED trustees logged a decryption"
echo "secure walkthrough: ok (committee $FP, 12 submissions, published, $DECRYPTED trustees decrypted)"
