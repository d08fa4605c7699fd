#!/bin/bash
# The README's walkthrough of mode secure with real processes, as an operator, five trustee
# institutions and fifty administrations would run it: aggregator (`serve` runs throughout; the
# operator's commands go through its admin API), 5 × sovbench-trustee (init, dkg, serve) and
# 50 × sovbench-node (init, config committee, assess, submit, compare), all over gRPC on
# 127.0.0.1. Fails unless the round is published with the five self-test dimensions of `all`
# (50 administrations at epsilon 2 are enough in mode secure), every node can compare against
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

# The server runs from here to the end; every operator command below goes through its admin API.
$A serve --listen "127.0.0.1:$PORT" --noise-wait 5 > "$W/serve.log" 2>&1 & PIDS+=($!)
for _ in $(seq 1 50); do [ -s "$W/agg/serve.addr" ] && break; sleep 0.2; done
[ -s "$W/agg/serve.addr" ] || fail "serve did not write serve.addr"
# Key generation: the trustees talk to the serving aggregator.
DKG=()
for i in 1 2 3 4 5; do
  timeout 120 $T dkg --dir "$W/t$i" --ceremony walkthrough --poll 1 > "$W/t$i-dkg.log" 2>&1 & DKG+=($!)
done
for p in "${DKG[@]}"; do wait "$p" || fail "key generation"; done
FP=$($A committee list --json | python3 -c 'import json,sys
d=json.load(sys.stdin)
print(next(c["fingerprint"] for c in d if c["id"]=="walkthrough" and c["complete"]))') || fail "committee not complete"
for i in 1 2 3 4 5; do grep -q "$FP" "$W/t$i-dkg.log" || fail "trustee $i derived another committee"; done

# Enrolment and the round, while serving.
NODES=50
for i in $(seq 1 $NODES); do
  $N --data "$W/n$i" init --name "Gemeinde $i" --kind gemeinde --state DE-SH \
    --population $((3000 + i)) --aggregator "$URL" --aggregator-key "$AKEY" > "$W/n$i-init.log"
  $A enrol --key "$(key_of "$W/n$i-init.log")" --name "Gemeinde $i" --kind gemeinde \
    --state DE-SH --population $((3000 + i)) > /dev/null
  $N --data "$W/n$i" config committee "$FP" > /dev/null
  $N --data "$W/n$i" assess --file docs/samples/selbsttest.toml > /dev/null
done
$A round open r1 --mode secure --committee walkthrough --epsilon 2 --min-cohort 10 --closes-in 60s \
  > "$W/round.log"
for i in $(seq 1 $NODES); do
  $N --data "$W/n$i" submit > "$W/n$i-submit.log" 2>&1 || fail "submission of node $i"
done
for i in 1 2 3 4 5; do $T serve --dir "$W/t$i" --poll 1 > "$W/t$i-serve.log" 2>&1 & PIDS+=($!); done
for _ in $(seq 1 90); do
  if $N --data "$W/n1" compare > "$W/compare.log" 2>&1; then break; fi
  sleep 2
done
grep -q "round r1" "$W/compare.log" || fail "no publication of round r1"
grep -q "$NODES contributors" "$W/compare.log" || fail "not all $NODES submissions counted"
$A publish r1 --export "$W/publication.json" > /dev/null || fail "export of the publication"
python3 - "$W/publication.json" <<'PY' || fail "the self-test dimensions of all are not published"
import json, sys
cells = json.load(open(sys.argv[1]))["benchmark"]["cells"]
dims = [c for c in cells if c["cohort"] == "all" and c["metric"].startswith("selftest.")
        and c["metric"] != "selftest.total"]
ok = [c for c in dims if not c.get("suppressed")]
print(f"all: {len(ok)} of {len(dims)} self-test dimensions published, e.g. "
      + ", ".join(f'{c["metric"]} {c["estimate"]:.2f} [{c["ci_low"]:.2f}, {c["ci_high"]:.2f}]' for c in ok[:2]))
sys.exit(0 if dims and len(ok) == len(dims) else 1)
PY
for i in $(seq 2 $NODES); do $N --data "$W/n$i" compare > /dev/null 2>&1 || fail "compare on node $i"; done
DECRYPTED=$(grep -l "decrypt" "$W"/t*-serve.log | wc -l)
[ "$DECRYPTED" -ge 3 ] || fail "only $DECRYPTED trustees logged a decryption"
echo "secure walkthrough: ok (committee $FP, $NODES submissions, published, $DECRYPTED trustees decrypted)"
