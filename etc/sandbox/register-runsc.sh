#!/bin/sh
# register-runsc.sh - tell the Docker Engine about gVisor (runsc) for
# topsh's sandboxes, without restarting it.
#
# usage: register-runsc.sh [-n] [daemon.json]	(default /etc/docker/daemon.json)
#   -n  print the resulting daemon.json and change nothing
#
# Adds two runtimes to daemon.json, keeping everything else in it:
#   runsc      --platform=ptrace --network=none  sandboxes without a network
#   runsc-net  --platform=ptrace --network=host  sandboxes on a Docker network
# (runsc's own network stack does not start under this engine: "cannot
# run with network enabled in root network namespace"; with --network=host
# gVisor passes socket calls to the kernel inside the container's own
# network namespace, which Docker still creates and isolates.)  Then
# sends SIGHUP to dockerd, which reloads its runtimes; running containers
# are not touched.  Needs root and /usr/bin/runsc (apt-get install runsc).
set -eu

dry=0
if [ "${1:-}" = "-n" ]; then
	dry=1
	shift
fi
conf=${1:-/etc/docker/daemon.json}
runsc=${RUNSC:-$(command -v runsc || echo /usr/bin/runsc)}
platform=${RUNSC_PLATFORM:-ptrace}

if [ ! -x "$runsc" ]; then
	echo "register-runsc.sh: $runsc not found: apt-get install runsc" >&2
	exit 1
fi

old='{}'
[ -s "$conf" ] && old=$(cat "$conf")

# merge with whichever JSON-capable interpreter the host has
merge_js='
const fs = require("fs");
let c;
try { c = JSON.parse(process.argv[1]); } catch (e) {
	console.error("register-runsc.sh: " + process.argv[4] +
	    " is not valid JSON: " + e.message); process.exit(1); }
c.runtimes = c.runtimes || {};
const p = process.argv[2], pl = "--platform=" + process.argv[3];
c.runtimes["runsc"] = { path: p, runtimeArgs: [pl, "--network=none"] };
c.runtimes["runsc-net"] = { path: p, runtimeArgs: [pl, "--network=host"] };
process.stdout.write(JSON.stringify(c, null, 2) + "\n");
'
merge_py='
import json, sys
try:
    c = json.loads(sys.argv[1])
except ValueError as e:
    sys.exit("register-runsc.sh: %s is not valid JSON: %s" % (sys.argv[4], e))
r = c.setdefault("runtimes", {})
pl = "--platform=" + sys.argv[3]
r["runsc"] = {"path": sys.argv[2], "runtimeArgs": [pl, "--network=none"]}
r["runsc-net"] = {"path": sys.argv[2], "runtimeArgs": [pl, "--network=host"]}
print(json.dumps(c, indent=2))
'
if command -v node >/dev/null 2>&1; then
	new=$(node -e "$merge_js" "$old" "$runsc" "$platform" "$conf")
elif command -v python3 >/dev/null 2>&1; then
	new=$(python3 -c "$merge_py" "$old" "$runsc" "$platform" "$conf")
elif [ "$old" = '{}' ]; then
	new=$(cat <<EOJ
{
  "runtimes": {
    "runsc": { "path": "$runsc", "runtimeArgs": ["--platform=$platform", "--network=none"] },
    "runsc-net": { "path": "$runsc", "runtimeArgs": ["--platform=$platform", "--network=host"] }
  }
}
EOJ
)
else
	echo "register-runsc.sh: need node or python3 to edit $conf" >&2
	exit 1
fi

if [ "$dry" -eq 1 ]; then
	printf '%s\n' "$new"
	exit 0
fi
if [ "$new" = "$old" ]; then
	echo "$conf: runsc and runsc-net already registered"
else
	mkdir -p "$(dirname "$conf")"
	printf '%s\n' "$new" >"$conf.new.$$"
	mv "$conf.new.$$" "$conf"
	echo "$conf: runsc and runsc-net registered"
fi
pid=$(pidof dockerd 2>/dev/null || true)
if [ -n "$pid" ]; then
	# shellcheck disable=SC2086
	kill -HUP $pid
	i=0
	while [ $i -lt 50 ]; do
		docker info --format '{{json .Runtimes}}' 2>/dev/null |
		    grep -q '"runsc-net"' && break
		sleep 0.1
		i=$((i + 1))
	done
	echo "dockerd reloaded: $(docker info --format '{{range $k, $v := .Runtimes}}{{$k}} {{end}}' 2>/dev/null)"
fi
