#!/bin/sh
# sandbox_docker.sh - sandboxd's life with the engine: topshctl sandbox
# list/exec/kill, a restarted sandboxd adopts live containers instead of
# duplicating them, docker.sock unreachable gives clear errors and work
# resumes when it is back, idle containers are reaped.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

DSOCK=${TMPDIR:-/tmp}/sbx-docker-$$.sock
SBX_CONF="	disk-quota 0
	docker-socket \"$DSOCK\""
ln -sf /var/run/docker.sock "$DSOCK"
sbx_setup
trap 'rm -f "$DSOCK"; sbx_cleanup' EXIT INT TERM

gw exec '{"user":301,"command":"echo keep > /workspace/kept; echo one"}'
has '"stdout":"one\\n"' "first command"
cid=$(sbx_cid 301)
cc ctl-list '{}'
has "ctl-data \\{\"user\":301,\"container\":\"$(printf '%.12s' "$cid")\",\"state\":\"running\"" \
    "sandbox list shows the container"
has '"memory":[1-9][0-9]*' "with its memory use"
cc ctl-exec '{"user":301,"command":"echo via-ctl; exit 4"}'
has 'ctl-data .*"exit":4,"stdout":"via-ctl\\n"' "sandbox exec through the control socket"
has 'ctl-end' "ended"
cc ctl-exec '{"user":301,"command":"echo forbidden-word"}'
has 'ctl-fail .*"code":"denied"' "sandbox exec is policy-checked too"

# max-containers auto leaves the host's kernel.pid_max room: the
# sandboxes' host pids limits together are at most 3/4 of it (under
# gVisor each is pids x 12 + 128), or the floor of 4 sandboxes
max=$(ctl -j status sandboxd 2>/dev/null | tr ',{}' '\n\n\n' |
    sed -n 's/^ *"max_containers": *\([0-9]*\).*/\1/p')
per=100
case $(topsh_runtime) in runsc*) per=$((100 * 12 + 128)) ;; esac
pmax=$(cat /proc/sys/kernel/pid_max)
OUT="max $max, $((max * per)) of $((pmax * 3 / 4)) host pids"
[ -n "$max" ] && { [ $((max * per)) -le $((pmax * 3 / 4)) ] || [ "$max" -eq 4 ]; }
ok $? "max-containers auto fits the host's pid_max ($OUT)"
if [ $((max * per)) -ge $((pmax * 3 / 4 - per)) ]; then
	grep -q "kernel.pid_max $pmax leaves room for $max sandboxes" "$T/sandboxd.log"
	ok $? "and the log says when pid_max is what bounds it"
fi

out=$(ctl sandbox exec 301 -- 'echo via-topshctl; exit 5' 2>/dev/null)
rc=$?
[ "$out" = "via-topshctl" ] && [ "$rc" -eq 5 ]
ok $? "topshctl sandbox exec prints the output and exits with its status"
ctl sandbox list 2>/dev/null | grep -q '"user":301'
ok $? "topshctl sandbox list"

# --- restart: adopt, do not duplicate
topsh_stop sandboxd
topsh_start sandboxd -v
topsh_wait_up sandboxd
wait_for 10 sh -c "'$TOOLS/sbxclient' '$T/run/sandboxd.ctl' ctl-list '{}' | grep -q '\"user\":301'"
ok $? "restarted sandboxd lists the live container"
grep -q 'adopted 1 existing container' "$T/sandboxd.log"
ok $? "it says it adopted it"
gw exec '{"user":301,"command":"cat /workspace/kept"}'
has '"stdout":"keep\\n"' "commands run in the adopted container"
[ "$(sbx_cid 301)" = "$cid" ]
ok $? "the same container, not a new one"
[ "$(sbx_cid 301 | wc -l)" -eq 1 ]
ok $? "and only one"

# --- docker.sock unreachable, then back.  A running container's
# commands go on through its runner's open connection; a new user's
# container cannot be made.
rm -f "$DSOCK"
gw exec '{"user":301,"command":"echo x"}'
has '"exit":0,"stdout":"x\\n"' "a running container's runner needs no new connection"
gw exec '{"user":302,"command":"echo x"}'
has '"code":"docker-unavailable"' "engine unreachable: a clear error"
topsh_alive sandboxd
ok $? "sandboxd lives on"
wait_for 10 grep -q 'unreachable' "$T/sandboxd.log"
ok $? "a clear log line"
gw read '{"user":301,"path":"kept"}'
has '"content":"keep\\n"' "file tools still work without the engine"
ln -sf /var/run/docker.sock "$DSOCK"
wait_for 20 sh -c "[ \$(grep -c 'docker: engine' '$T/sandboxd.log') -ge 3 ]"
ok $? "the engine is found again (backoff retry)"
gw exec '{"user":301,"command":"echo back"}'
has '"stdout":"back\\n"' "commands run again"

# --- kill: the container goes, the workspace stays
cc ctl-kill '{"user":301}'
has 'ctl-data .*"removed":true' "sandbox kill"
[ -z "$(sbx_cid 301)" ]
ok $? "the container is gone"
cc ctl-kill '{"user":301}'
has 'ctl-fail' "killing it again fails cleanly"
gw exec '{"user":301,"command":"cat /workspace/kept"}'
has '"stdout":"keep\\n"' "a new container on next use, same workspace"

# --- idle reaping
topsh_stop sandboxd
sed -i 's/^\tdisk-quota 0$/\tdisk-quota 0\n\tidle-timeout 5s/' "$T/topsh.conf"
topsh_start sandboxd -v
topsh_wait_up sandboxd
wait_for 30 sh -c "[ -z \"\$(docker ps -aq --filter label=topsh.root=$T/workspaces)\" ]"
ok $? "idle container reaped"
grep -q 'reaping' "$T/sandboxd.log"
ok $? "and the log says so"

# --- runtime auto takes gVisor where the engine has it for the network
# mode (common/gvisor.c, what topshctl check says too)
TOPSH_RUNTIME=runsc topsh_need_runtime >/dev/null 2>&1
topsh_stop sandboxd
sed -i 's/^\([[:space:]]*runtime\) .*/\1 auto/' "$T/topsh.conf"
topsh_start sandboxd -v
topsh_wait_up sandboxd
wait_for 20 grep -q "runtime: containers run under runsc (gVisor)" "$T/sandboxd.log"
ok $? "runtime auto: gVisor's runsc for sandboxes without a network"

done_testing
