#!/bin/sh
# ALPHA-style run script, as the experiment's users ran it: set up the environment, run the analysis on
# the event file, leave the histogram and the log in the output directory.
set -e
ALPHA_ROOT=${ALPHA_ROOT:-/aleph/alpha}
EVENTS=${1:-$ALPHA_ROOT/data/events.txt}
OUT=${2:-/tmp/alpha-out}
mkdir -p "$OUT"
echo "ALPHA demo on $(cat /etc/redhat-release)" > "$OUT/run.log"
"$ALPHA_ROOT/bin/alpha" "$EVENTS" "$OUT"
echo "finished" >> "$OUT/run.log"
