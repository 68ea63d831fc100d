#!/usr/bin/env bash
# Benchmark `toa` against tcpdump, tshark, capinfos and tcprewrite on the same generated captures,
# then write bench/RESULTS.md (bench/report.mjs). Usage: bash bench/run.sh
#
# Environment (all optional):
#   BENCH_RUNS=3          hyperfine runs per command (reader groups use BENCH_RUNS+2, tshark -T json uses 2)
#   BENCH_ROUNDS=3        rounds of the inject-toa and strip groups (file to file and null sink): hyperfine runs every
#                         command BENCH_RUNS times, then again, ...; report.mjs pools the runs of all rounds
#   BENCH_SKIP_4M=1       skip the 4M-packet memory-scaling runs (saves ~4 GB of disk and a few minutes)
#   BENCH_INJECT_ARGS=""  extra arguments for `toa inject-toa` (e.g. a client-address mapping option)
#   BENCH_STRIP_ARGS=""   extra arguments for `toa strip`
#   BENCH_TOA, BENCH_RESULTS, BENCH_REPORT   the toa command (default "node bin/toa.js"), the results directory
#                         (default bench/out/results) and the report path (default bench/RESULTS.md); for testing
#                         this harness with a stand-in command without touching bench/RESULTS.md
#   BENCH_OUT, BENCH_FLOWS  the directory of the generated captures (default bench/out) and the flows of the "big"
#                         inputs (default 50000 = 1M packets); a small BENCH_FLOWS in another BENCH_OUT tests the harness
#   BENCH_GROUPS="a b"    only these hyperfine groups (and "memory" for the peak-memory runs); the others are NOT RUN
#
# Every toa row is skipped with a visible note when its command is missing or fails a smoke test on a small file.
# Generated captures are cached in bench/out/ (gitignored) and regenerated when bench/gen-big.mjs changes.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${BENCH_OUT:-bench/out}
FLOWS=${BENCH_FLOWS:-50000}
RES=${BENCH_RESULTS:-$OUT/results}
REPORT=${BENCH_REPORT:-bench/RESULTS.md}
RUNS=${BENCH_RUNS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
FAST_RUNS=$((RUNS + 2))
SLOW_RUNS=2
INJECT_ARGS=${BENCH_INJECT_ARGS:-}
STRIP_ARGS=${BENCH_STRIP_ARGS:-}
TOA=${BENCH_TOA:-node bin/toa.js}

# The sandbox this was written in sets NODE_EXTRA_CA_CERTS (for npm's TLS). Node then parses that
# certificate bundle at every start (~50 ms here), which a capture tool never needs; it is unset for every
# command (it does not affect the C peers) and its presence is recorded in RESULTS.md.
CA_CERTS_NOTE="not set"
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then CA_CERTS_NOTE="was set ($NODE_EXTRA_CA_CERTS); unset for every command"; fi
unset NODE_EXTRA_CA_CERTS

mkdir -p "$OUT"
rm -rf "$RES"
mkdir -p "$RES"
: > "$RES/status.tsv"
: > "$RES/commands.tsv"
: > "$RES/rss.tsv"
: > "$RES/inputs.tsv"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# status.tsv: group, name, kind (skip|check|info), text
note() {
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(printf '%s' "$4" | tr '\t\n' '  ')" >> "$RES/status.tsv"
  log "[$1] $2: $3: $4"
}
have() { command -v "$1" >/dev/null 2>&1; }
# the first line of a log that mentions an error (else its first line), at most 300 characters
first_error() { { grep -m1 -iE 'error|cannot|unknown|invalid' "$1" || head -1 "$1"; } 2>/dev/null | head -c 300; }

# ---- machine ------------------------------------------------------------------------------------------------
{
  printf 'date\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'nproc\t%s\n' "$(nproc)"
  printf 'cpu\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
  printf 'memory\t%s\n' "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo 2>/dev/null)"
  printf 'kernel\t%s\n' "$(uname -sr)"
  printf 'os\t%s\n' "$(. /etc/os-release 2>/dev/null && printf '%s' "$PRETTY_NAME")"
  printf 'node\t%s\n' "$(node --version)"
  printf 'hyperfine\t%s\n' "$(hyperfine --version 2>/dev/null)"
  printf 'tcpdump\t%s\n' "$(tcpdump --version 2>&1 | head -2 | tr '\n' ' ')"
  printf 'tshark\t%s\n' "$(tshark --version 2>/dev/null | head -1)"
  printf 'capinfos\t%s\n' "$(capinfos --version 2>/dev/null | head -1)"
  printf 'tcprewrite\t%s\n' "$(tcprewrite --version 2>&1 | head -1)"
  printf 'NODE_EXTRA_CA_CERTS\t%s\n' "$CA_CERTS_NOTE"
  printf 'rounds\t%s\n' "$ROUNDS"
  printf 'load average at start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
  printf 'git\t%s%s\n' "$(git rev-parse --short HEAD 2>/dev/null)" "$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src/ has uncommitted changes)')"
} > "$RES/machine.tsv"

for tool in hyperfine tcpdump tshark capinfos editcap tcprewrite; do
  have "$tool" || note all "$tool" skip "$tool is not installed; its rows are NOT RUN"
done
if ! have hyperfine; then
  log "hyperfine is required (apt-get install hyperfine)"; exit 1
fi

# ---- inputs -------------------------------------------------------------------------------------------------
GEN_SHA="$(sha256sum bench/gen-big.mjs | cut -c1-16) flows=$FLOWS"
if [ "$(cat "$OUT/.gen-sha" 2>/dev/null)" != "$GEN_SHA" ]; then
  log "generator changed (or first run): removing cached captures"
  rm -f "$OUT"/*.pcap "$OUT"/*.pcapng
  echo "$GEN_SHA" > "$OUT/.gen-sha"
fi
gen() { # file args...
  local file=$1; shift
  if [ ! -s "$OUT/$file" ]; then
    log "generating $OUT/$file ($*)"
    node bench/gen-big.mjs "$OUT/$file" "$@" >> "$RES/generate.log" || { log "generator failed"; exit 1; }
  fi
}
gen small.pcap --flows 500
gen small-notoa.pcap --flows 500 --no-toa
gen big.pcap --flows "$FLOWS"
gen big-notoa.pcap --flows "$FLOWS" --no-toa
gen big.pcapng --flows "$FLOWS" --format pcapng
if [ "${BENCH_SKIP_4M:-0}" != 1 ]; then
  gen big4m.pcap --flows "$FLOWS" --repeat 4
  gen big4m-notoa.pcap --flows "$FLOWS" --repeat 4 --no-toa
fi
if [ ! -s "$OUT/sub100k.pcap" ] && have editcap; then
  log "making $OUT/sub100k.pcap (first 100,000 packets of big.pcap)"
  editcap -F pcap -r "$OUT/big.pcap" "$OUT/sub100k.pcap" 1-100000 2>>"$RES/generate.log"
fi
# inputs.tsv: key, file, packets (counted now), bytes, flows
input_row() { # key file flows
  [ -s "$OUT/$2" ] || return 0
  local packets
  if have capinfos; then
    packets=$(capinfos -M -c -T -r "$OUT/$2" 2>/dev/null | awk -F'\t' 'NF>1 {print $2; exit}')
  else
    packets=$(node bench/read-only.mjs "$OUT/$2" 2>/dev/null)
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$OUT/$2" "$packets" "$(stat -c %s "$OUT/$2")" "$3" >> "$RES/inputs.tsv"
}
input_row small small.pcap 500
input_row small-notoa small-notoa.pcap 500
input_row big big.pcap "$FLOWS"
input_row big-notoa big-notoa.pcap "$FLOWS"
input_row big-pcapng big.pcapng "$FLOWS"
input_row big4m big4m.pcap "$FLOWS"
input_row big4m-notoa big4m-notoa.pcap "$FLOWS"
input_row sub100k sub100k.pcap "(first 100k packets of big)"
packets_of() { awk -F'\t' -v k="$1" '$1 == k {print $3}' "$RES/inputs.tsv"; }

# The generator's own check: tshark verifies every IPv4 and TCP checksum of the small capture.
if have tshark; then
  bad=$(tshark -r "$OUT/small.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
    -Y 'tcp.checksum.status==Bad || ip.checksum.status==Bad' 2>/dev/null | wc -l)
  good=$(tshark -r "$OUT/small.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
    -Y 'tcp.checksum.status==Good && ip.checksum.status==Good' 2>/dev/null | wc -l)
  toa=$(tshark -r "$OUT/small.pcap" -Y 'tcp.option_kind == 254' 2>/dev/null | wc -l)
  note generator small.pcap check "tshark: $good packets with good IPv4+TCP checksums, $bad bad, $toa carry TCP option 254"
fi

# ---- build --------------------------------------------------------------------------------------------------
log "npm run build"
if npm run build > "$RES/build.log" 2>&1; then
  note build "npm run build" info "ok"
else
  note build "npm run build" info "FAILED (exit $?; first error: $(grep -m1 'error' "$RES/build.log")); toa rows use whatever dist/ contains"
fi

# ---- toa availability and smoke tests on the small captures ---------------------------------------------------
# A command exists when `toa --help` lists it under "Commands:" (`toa X --help` would print the root help, exit 0).
TOA_HELP=$($TOA --help 2>&1)
toa_has() { printf '%s\n' "$TOA_HELP" | sed -n '/^Commands:/,$p' | grep -qE "^  $1( |$)"; }
smoke() { # group name command... ; runs it on a small file, notes the failure reason
  local group=$1 name=$2; shift 2
  local safe=${name// /_}
  local err="$RES/smoke-$safe.err"
  "$@" > "$RES/smoke-$safe.out" 2> "$err"
  local rc=$?
  [ $rc = 0 ] && return 0
  note "$group" "$name" skip "NOT RUN: smoke test on a small file failed (exit $rc): $(first_error "$err")"
  return 1
}
count_toa() { tshark -r "$1" -Y 'tcp.option_kind == 254' 2>/dev/null | wc -l; }
count_bad() {
  tshark -r "$1" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
    -Y 'tcp.checksum.status==Bad || ip.checksum.status==Bad' 2>/dev/null | wc -l
}

OK_READER=0; OK_DECODE=0; OK_JSON=0; OK_INJECT=0; OK_STRIP=0; OK_STATS=0
if node bench/read-only.mjs "$OUT/small.pcap" --expect "$(packets_of small)" > "$RES/smoke-reader.out" 2> "$RES/smoke-reader.err"; then
  OK_READER=1
else
  rc=$?
  if [ $rc = 3 ]; then reason="NOT RUN: $(first_error "$RES/smoke-reader.err")"
  else reason="NOT RUN: smoke test on a small file failed (exit $rc): $(first_error "$RES/smoke-reader.err")"; fi
  note reader "toa reader (read-only.mjs)" skip "$reason"
  note reader-pcapng "toa reader (read-only.mjs), pcapng" skip "$reason"
  note memory "toa reader (read-only.mjs)" skip "$reason"
fi
# Output checks: "ok: ..." or "FAILED: ..."; report.mjs turns a FAILED check into a failed target.
verdict() { if [ "$1" = 1 ]; then printf 'ok: %s' "$2"; else printf 'FAILED: %s' "$2"; fi; }
count_packets() { capinfos -M -c -T -r "$1" 2>/dev/null | awk -F'\t' 'NF>1 {print $2; exit}'; }
SMALL=$(packets_of small)
if toa_has decode; then
  if smoke decode-text "toa decode" $TOA decode "$OUT/small.pcap"; then
    OK_DECODE=1
    n=$(wc -l < "$RES/smoke-toa_decode.out")
    note decode-text "toa decode" check "$(verdict "$([ "$n" -ge "$SMALL" ] && echo 1)" \
      "small.pcap ($SMALL packets): $n output lines (expected at least one per packet)")"
  fi
  if smoke decode-json "toa decode --json" $TOA decode --json "$OUT/small.pcap"; then
    OK_JSON=1
    read -r ok bad < <(node -e 'const fs=require("fs");let ok=0,bad=0;for(const l of fs.readFileSync(process.argv[1],"utf8").split("\n")){if(!l.trim())continue;try{JSON.parse(l);ok++}catch{bad++}}console.log(ok,bad)' "$RES/smoke-toa_decode_--json.out")
    note decode-json "toa decode --json" check "$(verdict "$([ "$bad" = 0 ] && [ "$ok" -ge "$SMALL" ] && echo 1)" \
      "small.pcap ($SMALL packets): $ok output lines parse as JSON, $bad do not (expected NDJSON, one object per packet)")"
  fi
else
  note decode-text "toa decode" skip "NOT RUN: command 'decode' is not available in bin/toa.js"
  note decode-json "toa decode --json" skip "NOT RUN: command 'decode' is not available in bin/toa.js"
fi
if toa_has inject-toa; then
  # shellcheck disable=SC2086
  if smoke inject-toa "toa inject-toa" $TOA inject-toa "$OUT/small-notoa.pcap" -o "$OUT/smoke-inject.pcap" $INJECT_ARGS; then
    OK_INJECT=1
    if have tshark; then
      before=$(count_toa "$OUT/small-notoa.pcap"); reference=$(count_toa "$OUT/small.pcap")
      after=$(count_toa "$OUT/smoke-inject.pcap"); bad=$(count_bad "$OUT/smoke-inject.pcap")
      n=$(count_packets "$OUT/smoke-inject.pcap")
      note inject-toa "toa inject-toa" check "$(verdict "$([ "$after" -gt 0 ] && [ "$bad" = 0 ] && [ "$n" = "$SMALL" ] && echo 1)" \
        "small-notoa.pcap ($SMALL packets, $before with TOA) -> $n packets, $after with option 254 (DPVS placement in the generator: $reference), $bad bad checksums (tshark)")"
    fi
  fi
else
  note inject-toa "toa inject-toa" skip "NOT RUN: command 'inject-toa' is not available in bin/toa.js"
fi
if toa_has strip; then
  # shellcheck disable=SC2086
  if smoke strip "toa strip" $TOA strip "$OUT/small.pcap" -o "$OUT/smoke-strip.pcap" $STRIP_ARGS; then
    OK_STRIP=1
    if have tshark; then
      before=$(count_toa "$OUT/small.pcap"); after=$(count_toa "$OUT/smoke-strip.pcap")
      bad=$(count_bad "$OUT/smoke-strip.pcap"); n=$(count_packets "$OUT/smoke-strip.pcap")
      note strip "toa strip" check "$(verdict "$([ "$after" = 0 ] && [ "$bad" = 0 ] && [ "$n" = "$SMALL" ] && echo 1)" \
        "small.pcap ($SMALL packets, $before with TOA) -> $n packets, $after with option 254, $bad bad checksums (tshark)")"
    fi
  fi
else
  note strip "toa strip" skip "NOT RUN: command 'strip' is not available in bin/toa.js"
fi
if toa_has stats; then
  smoke stats "toa stats" $TOA stats "$OUT/small.pcap" && OK_STATS=1
else
  note stats "toa stats" skip "NOT RUN: command 'stats' is not available in bin/toa.js"
fi
# `-o -` (the capture on stdout) for the null-sink groups: the same bytes as the file output of the smoke test
OK_INJECT_STDOUT=0; OK_STRIP_STDOUT=0
stdout_same() { # group name file-output command... ; 1 when `command -o -` writes exactly file-output
  local group=$1 name=$2 reference=$3; shift 3
  local got="$RES/smoke-stdout.pcap"
  if "$@" -o - > "$got" 2> "$RES/smoke-stdout.err" && cmp -s "$got" "$reference"; then
    rm -f "$got"; return 0
  fi
  note "$group" "$name" skip "NOT RUN: '-o -' did not write the same capture as '-o FILE' on a small file: $(first_error "$RES/smoke-stdout.err")"
  rm -f "$got"; return 1
}
# shellcheck disable=SC2086
[ $OK_INJECT = 1 ] && stdout_same inject-toa-null "toa inject-toa -o -" "$OUT/smoke-inject.pcap" \
  $TOA inject-toa "$OUT/small-notoa.pcap" $INJECT_ARGS && OK_INJECT_STDOUT=1
# shellcheck disable=SC2086
[ $OK_STRIP = 1 ] && stdout_same strip-null "toa strip -o -" "$OUT/smoke-strip.pcap" \
  $TOA strip "$OUT/small.pcap" $STRIP_ARGS && OK_STRIP_STDOUT=1
rm -f "$OUT/smoke-inject.pcap" "$OUT/smoke-strip.pcap"

# ---- hyperfine groups ---------------------------------------------------------------------------------------
G=""; G_ARGS=(); G_NAMES=(); G_CMDS=()
G_PREPARE=()
group_begin() { G=$1; G_ARGS=(); G_NAMES=(); G_CMDS=(); G_PREPARE=(); }
# group_prepare INPUTS [OUTPUTS]: hyperfine --prepare for every command of the group (before each timed run, not
# timed): remove OUTPUTS, then read INPUTS through once. The read-through keeps every timed run on a page cache that
# holds the whole input: this VM runs DAMON with a pageout scheme (memory idle for 60 s is written back or dropped,
# up to 128 MB/s), which evicts parts of an input file between the groups that use it, and the first run after that
# reads them back from disk (an inject-toa run that refaulted 36 MB of its input took 435 ms against ~375 ms for
# the runs after it; /proc/vmstat workingset_refault_file). Every command of a group gets the same preparation.
group_prepare() {
  local cmd="cat $1 > /dev/null"
  [ -n "${2:-}" ] && cmd="rm -f $2 && $cmd"
  G_PREPARE=(--prepare "sh -c '$cmd'")
  printf '%s\t%s\t%s\t%s\t%s\n' "$G" "(prepare)" prepare - "sh -c '$cmd'" >> "$RES/commands.tsv"
}
group_add() { # name role input-key command...
  local name=$1 role=$2 key=$3; shift 3
  local cmd="$*"
  printf '%s\t%s\t%s\t%s\t%s\n' "$G" "$name" "$role" "$key" "$cmd" >> "$RES/commands.tsv"
  G_ARGS+=(-n "$name" "$cmd"); G_NAMES+=("$name"); G_CMDS+=("$cmd")
}
selected() { [ -z "${BENCH_GROUPS:-}" ] || [[ " $BENCH_GROUPS " == *" $1 "* ]]; }
group_run() { # runs [rounds]
  local runs=$1 rounds=${2:-1}
  [ ${#G_NAMES[@]} -gt 0 ] || { log "[$G] nothing to run"; return; }
  if ! selected "$G"; then
    local name
    for name in "${G_NAMES[@]}"; do note "$G" "$name" skip "NOT RUN: group not selected (BENCH_GROUPS=$BENCH_GROUPS)"; done
    return
  fi
  log "[$G] hyperfine: ${G_NAMES[*]} ($rounds round(s) of $runs runs)"
  if [ "$rounds" -le 1 ]; then
    hyperfine -N --style basic --warmup 1 --runs "$runs" --output=null "${G_PREPARE[@]}" --export-json "$RES/$G.json" \
      "${G_ARGS[@]}" > "$RES/$G.log" 2>&1 && return
  else
    # rounds: every command, then every command again, ...; report.mjs pools the runs of $G.round-K.json
    local k ok=1
    : > "$RES/$G.log"
    for k in $(seq "$rounds"); do
      if ! hyperfine -N --style basic --warmup 1 --runs "$runs" --output=null "${G_PREPARE[@]}" --export-json "$RES/$G.round-$k.json" \
          "${G_ARGS[@]}" >> "$RES/$G.log" 2>&1; then ok=0; break; fi
    done
    [ $ok = 1 ] && return
    rm -f "$RES/$G".round-*.json
  fi
  # one command failed: time each command alone so the others still get numbers
  note "$G" "(group)" info "hyperfine failed on the combined run (see results/$G.log); timing each command alone"
  rm -f "$RES/$G.json"
  local i
  for i in "${!G_NAMES[@]}"; do
    if ! hyperfine -N --style basic --warmup 1 --runs "$runs" --output=null "${G_PREPARE[@]}" --export-json "$RES/$G.part-$i.json" \
        -n "${G_NAMES[$i]}" "${G_CMDS[$i]}" >> "$RES/$G.log" 2>&1; then
      rm -f "$RES/$G.part-$i.json"
      note "$G" "${G_NAMES[$i]}" skip "NOT RUN: the command failed on the full file (see results/$G.log)"
    fi
  done
}
B=$OUT/big.pcap

group_begin reader
group_prepare "$B"
[ $OK_READER = 1 ] && group_add "toa reader (read-only.mjs)" toa big node bench/read-only.mjs "$B" --expect "$(packets_of big)"
have tcpdump && group_add "tcpdump -r -w /dev/null" peer big tcpdump -r "$B" -w /dev/null
have capinfos && group_add "capinfos -c -M" peer big capinfos -c -M "$B"
group_run $FAST_RUNS

group_begin reader-pcapng
group_prepare "$OUT/big.pcapng"
[ $OK_READER = 1 ] && group_add "toa reader (read-only.mjs), pcapng" toa big-pcapng node bench/read-only.mjs "$OUT/big.pcapng" --expect "$(packets_of big-pcapng)"
have tcpdump && group_add "tcpdump -r -w /dev/null, pcapng" peer big-pcapng tcpdump -r "$OUT/big.pcapng" -w /dev/null
have capinfos && group_add "capinfos -c -M, pcapng" peer big-pcapng capinfos -c -M "$OUT/big.pcapng"
group_run $FAST_RUNS

group_begin decode-text
group_prepare "$B"
[ $OK_DECODE = 1 ] && group_add "toa decode" toa big $TOA decode "$B"
have tcpdump && group_add "tcpdump -nn -r" peer big tcpdump -nn -r "$B"
group_run "$RUNS"

group_begin decode-json
group_prepare "$B $OUT/sub100k.pcap"
[ $OK_JSON = 1 ] && group_add "toa decode --json" toa big $TOA decode --json "$B"
if have tshark && [ -s "$OUT/sub100k.pcap" ]; then
  group_add "tshark -T json (100k subset)" peer sub100k tshark -r "$OUT/sub100k.pcap" -T json
fi
group_run $SLOW_RUNS

# inject-toa and strip, twice each: file to file (what a user runs), with `cp` of the same input as the floor
# (the kernel's cost of writing that many bytes to this disk, which every file-to-file row pays), and to a null
# sink (toa -o - into hyperfine's /dev/null stdout, tcprewrite -o /dev/null): the processing speed without
# the disk. The `floor` role is neither toa nor a peer; report.mjs compares the target against both groups.
# Every file-to-file run starts with its output file absent (hyperfine --prepare rm -f): replacing the previous
# run's 445 MB output would make the timed command pay for freeing that file's page cache (tcprewrite in its
# O_TRUNC, toa in the final rename), a cost of the benchmark loop, not of the tool, and one that varied from
# 0.1 to 0.9 s here with the state of the previous run's writeback.
RW_OUTPUTS="$OUT/inject-out.pcap $OUT/strip-out.pcap $OUT/tcprewrite-out.pcap $OUT/cp-out.pcap"
group_begin inject-toa
group_prepare "$OUT/big-notoa.pcap" "$RW_OUTPUTS"
[ $OK_INJECT = 1 ] && group_add "toa inject-toa" toa big-notoa $TOA inject-toa "$OUT/big-notoa.pcap" -o "$OUT/inject-out.pcap" $INJECT_ARGS
have tcprewrite && group_add "tcprewrite -C" peer big-notoa tcprewrite -C -i "$OUT/big-notoa.pcap" -o "$OUT/tcprewrite-out.pcap"
group_add "cp (copy floor)" floor big-notoa cp "$OUT/big-notoa.pcap" "$OUT/cp-out.pcap"
group_run "$RUNS" "$ROUNDS"

group_begin inject-toa-null
group_prepare "$OUT/big-notoa.pcap"
[ $OK_INJECT_STDOUT = 1 ] && group_add "toa inject-toa -o -" toa big-notoa $TOA inject-toa "$OUT/big-notoa.pcap" -o - $INJECT_ARGS
have tcprewrite && group_add "tcprewrite -C -o /dev/null" peer big-notoa tcprewrite -C -i "$OUT/big-notoa.pcap" -o /dev/null
group_run "$RUNS" "$ROUNDS"

group_begin strip
group_prepare "$B" "$RW_OUTPUTS"
[ $OK_STRIP = 1 ] && group_add "toa strip" toa big $TOA strip "$B" -o "$OUT/strip-out.pcap" $STRIP_ARGS
have tcprewrite && group_add "tcprewrite -C" peer big tcprewrite -C -i "$B" -o "$OUT/tcprewrite-out.pcap"
group_add "cp (copy floor)" floor big cp "$B" "$OUT/cp-out.pcap"
group_run "$RUNS" "$ROUNDS"

group_begin strip-null
group_prepare "$B"
[ $OK_STRIP_STDOUT = 1 ] && group_add "toa strip -o -" toa big $TOA strip "$B" -o - $STRIP_ARGS
have tcprewrite && group_add "tcprewrite -C -o /dev/null" peer big tcprewrite -C -i "$B" -o /dev/null
group_run "$RUNS" "$ROUNDS"
rm -f "$OUT/cp-out.pcap"

group_begin stats
group_prepare "$B"
[ $OK_STATS = 1 ] && group_add "toa stats" toa big $TOA stats "$B"
have tshark && group_add "tshark -q -z conv,tcp" peer big tshark -q -z conv,tcp -r "$B"
group_run "$RUNS"

# ---- peak memory --------------------------------------------------------------------------------------------
# rss.tsv: name, role, input-key, maxrss KiB, wall s, exit code, command
TIME_BIN=""
[ -x /usr/bin/time ] && TIME_BIN=/usr/bin/time
rss() { # name role key command...
  local name=$1 role=$2 key=$3; shift 3
  local tmp="$RES/rss.tmp"
  rm -f "$tmp"
  log "[memory] $name on $key"
  local rc
  if [ -n "$TIME_BIN" ]; then
    "$TIME_BIN" -f '%M %e' -o "$tmp" "$@" > /dev/null 2>> "$RES/rss.log"; rc=$?
    # /usr/bin/time prefixes "Command exited with non-zero status N" when the command fails
    local line; line=$(tail -1 "$tmp" 2>/dev/null)
  elif [ "$role" = toa ]; then
    NODE_OPTIONS="--import=$ROOT/bench/maxrss-hook.mjs" BENCH_RSS_FILE="$tmp" "$@" > /dev/null 2>> "$RES/rss.log"; rc=$?
    local line; line=$(tail -1 "$tmp" 2>/dev/null)
  else
    note memory "$name" skip "NOT RUN: /usr/bin/time is missing (apt-get install time)"; return
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$role" "$key" "${line%% *}" "${line##* }" "$rc" "$*" >> "$RES/rss.tsv"
}
for size in big big4m; do
  selected memory || break
  [ -s "$OUT/$size.pcap" ] || continue
  [ $OK_READER = 1 ] && rss "toa reader (read-only.mjs)" toa "$size" node bench/read-only.mjs "$OUT/$size.pcap" --expect "$(packets_of "$size")"
  [ $OK_DECODE = 1 ] && rss "toa decode" toa "$size" $TOA decode "$OUT/$size.pcap"
  [ $OK_STATS = 1 ] && rss "toa stats" toa "$size" $TOA stats "$OUT/$size.pcap"
  # shellcheck disable=SC2086
  [ $OK_INJECT = 1 ] && [ -s "$OUT/$size-notoa.pcap" ] && \
    rss "toa inject-toa" toa "$size-notoa" $TOA inject-toa "$OUT/$size-notoa.pcap" -o "$OUT/inject-out.pcap" $INJECT_ARGS
  # shellcheck disable=SC2086
  [ $OK_STRIP = 1 ] && rss "toa strip" toa "$size" $TOA strip "$OUT/$size.pcap" -o "$OUT/strip-out.pcap" $STRIP_ARGS
done
if selected memory; then
  have tcpdump && rss "tcpdump -nn -r" peer big tcpdump -nn -r "$B"
  have tcprewrite && rss "tcprewrite -C" peer big tcprewrite -C -i "$B" -o "$OUT/tcprewrite-out.pcap"
  have tshark && rss "tshark -q -z conv,tcp" peer big tshark -q -z conv,tcp -r "$B"
fi
rm -f "$RES/rss.tmp" "$OUT/inject-out.pcap" "$OUT/strip-out.pcap" "$OUT/tcprewrite-out.pcap"

printf 'finished\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$RES/machine.tsv"
printf 'load average at end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)" >> "$RES/machine.tsv"

# ---- report -------------------------------------------------------------------------------------------------
node bench/report.mjs "$RES" "$REPORT" && log "wrote $REPORT"
