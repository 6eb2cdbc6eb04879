#!/usr/bin/env bash
# Times `make dev` until the hub answers /health, then stops it with Ctrl-C (SIGINT) and checks
# that nothing it started is left running. Prints figures; part of `make bench`.
set -euo pipefail
cd "$(dirname "$0")/../.."
port=${FAULTLINE_PORT:-3917}
aws_port=${FAULTLINE_AWS_PORT:-4917}
log=$(mktemp)
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Build first (untimed) so the figure is the start-up of an up-to-date checkout.
cargo build --locked --quiet -p faultline-local --bin faultline-local
start=$(now_ms)
FAULTLINE_PORT=$port FAULTLINE_AWS_PORT=$aws_port setsid make --no-print-directory dev >"$log" 2>&1 &
group=$!
until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
  if ! kill -0 "$group" 2>/dev/null; then echo "make dev exited early:"; cat "$log"; exit 1; fi
  sleep 0.05
done
ready=$(now_ms)
echo "make dev → /health answers:   $(( ready - start )) ms (build already up to date)"
grep -E "ready in" "$log" | sed 's/^/  hub reports: /'

kill -INT -- "-$group"
wait "$group" 2>/dev/null || true
sleep 0.5
if curl -sf "http://127.0.0.1:$aws_port" >/dev/null 2>&1 || curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
  echo "after Ctrl-C something still listens on :$port or :$aws_port"; exit 1
fi
echo "Ctrl-C: hub and emulator stopped, ports $port and $aws_port free"
rm -f "$log"
