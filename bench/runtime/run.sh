#!/bin/sh
# bench/runtime/run.sh - the same sandbox work under runc and under gVisor
# (runsc), through sandboxd against the real Docker engine, so that an
# operator can choose a runtime with numbers (issue 17).  Needs root,
# dockerd and runsc (registered by etc/sandbox/register-runsc.sh when
# missing); builds nothing (run `make' first).
#
#   sh bench/runtime/run.sh [rounds]	(default 3; runtimes alternate)
#
# For each runtime and round, with the Debian sandbox image (python3, tar):
#   create_ms   a new user's first command (`true'): container created and
#               started, as sandboxd reports it (median of 3 users)
#   exec_ms     a command round trip (`true') in a running container, as
#               sandboxd reports it (median of 15)
#   cpu_ms      python3 summing 3 million integers, timed inside
#   tar_ms      tar of 1000 small files into /tmp and back out, timed
#               inside (system-call heavy: open/read/write/stat)
# Prints name=value lines and writes bench/results/runtime.md.
TOPSH_SRC=$(cd "$(dirname "$0")/../.." && pwd)
TOPSH_BUILD=${TOPSH_BUILD:-$TOPSH_SRC/build}
export TOPSH_SRC TOPSH_BUILD
rounds=${1:-3}

if [ "${BENCH_ONE:-}" = "" ]; then
	out=$(mktemp)
	r=1
	while [ "$r" -le "$rounds" ]; do
		for rt in runc runsc; do
			BENCH_ONE=$rt sh "$0" | sed "s/^/$rt $r /" | tee -a "$out"
		done
		r=$((r + 1))
	done
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	awk -v load="$load" -v date="$(date -u '+%Y-%m-%d %H:%M UTC')" \
	    -v kernel="$(uname -sr)" -v rounds="$rounds" '
	function med(a, n,    i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ split($3, kv, "="); k = kv[1]; v = kv[2]
	  if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
	  n = ++cnt[$1, k]; val[$1, k, n] = v; runs[$1, k] = runs[$1, k] " " v }
	END {
		print "# Sandboxes under runc and gVisor (runsc)\n"
		print "Command: `sh bench/runtime/run.sh " rounds "` (as root; dockerd 20.10, vfs," \
		    " runsc 20221219 with --platform=ptrace; the Debian sandbox image;" \
		    " build/ at -O2), " date ", " kernel ", 2 vCPUs, load average " \
		    load " at the end (shared with other engineers'\'' builds and tests)." \
		    " Runtimes alternate within each round; each cell is the median of the" \
		    " rounds, the runs in brackets.\n"
		print "| figure | runc | runsc | runsc / runc |"
		print "|---|---:|---:|---:|"
		for (i = 1; i <= nk; i++) {
			k = keys[i]
			for (j = 1; j <= cnt["runc", k]; j++) a[j] = val["runc", k, j]
			mc = med(a, cnt["runc", k])
			for (j = 1; j <= cnt["runsc", k]; j++) b[j] = val["runsc", k, j]
			ms = med(b, cnt["runsc", k])
			printf "| %s | %s (%s ) | %s (%s ) | %.1fx |\n", k, mc, \
			    runs["runc", k], ms, runs["runsc", k], (mc > 0 ? ms / mc : 0)
		}
	}' "$out" >"$TOPSH_SRC/bench/results/runtime.md"
	cat >>"$TOPSH_SRC/bench/results/runtime.md" <<'EON'

What the figures mean: `create_ms` is a new user's first command
(container created and started), `exec_ms` a round trip of `true` in a
running container, both as sandboxd reports them; `cpu_ms` is python3
summing 3 million integers and `tar_ms` a tar of 1000 small files into
/tmp and back out, both timed inside the container.  gVisor's ptrace
platform costs little on pure computation and much on system calls and
process creation; see sandboxd(8), "Runtimes: runc and gVisor", for when
to choose which.
EON
	rm -f "$out"
	cat "$TOPSH_SRC/bench/results/runtime.md"
	exit 0
fi

# --- one runtime: BENCH_ONE=runc|runsc
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"
TOPSH_RUNTIME=$BENCH_ONE
export TOPSH_RUNTIME
topsh_need_debian_image >/dev/null || exit 1
TOPSH_IMAGE=$TOPSH_DEBIAN_IMAGE
SBX_CONF='	disk-quota 0
	exec-timeout 300s'
sbx_setup >/dev/null
users="931 932 933"

secs() { printf '%s\n' "$OUT" | sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' | head -n 1; }
stdout() { printf '%s\n' "$OUT" | sed -n 's/.*"stdout":"\([^"]*\)\\n".*/\1/p' | head -n 1; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.0f", s * 1000 }'; }

c=""
for u in $users; do
	gw exec "{\"user\":$u,\"command\":\"true\"}"
	c="$c $(ms "$(secs)")"
done
echo "create_ms=$(printf '%s\n' $c | median)"

e=""
i=0
while [ $i -lt 15 ]; do
	gw exec '{"user":931,"command":"true"}'
	e="$e $(ms "$(secs)")"
	i=$((i + 1))
done
echo "exec_ms=$(printf '%s\n' $e | median)"

gw exec '{"user":931,"command":"python3 -c \"import time\nt = time.monotonic()\ns = 0\nfor i in range(3000000): s += i\nprint(round((time.monotonic() - t) * 1000))\""}'
echo "cpu_ms=$(stdout)"

gw exec '{"user":931,"command":"mkdir -p /workspace/d && cd /workspace/d && python3 -c \"[open(\\\"f%d\\\" % i, \\\"w\\\").write(\\\"x\\\" * 512) for i in range(1000)]\" && cd /workspace && s=$(date +%s%N) && tar -cf /tmp/t.tar d && mkdir -p /tmp/x && tar -xf /tmp/t.tar -C /tmp/x && e=$(date +%s%N) && echo $(( (e - s) / 1000000 ))"}'
echo "tar_ms=$(stdout)"
