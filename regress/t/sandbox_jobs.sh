#!/bin/sh
# sandbox_jobs.sh - processes outlive their command only as explicit
# background jobs (issue 14, item 6): listed by `topshctl sandbox ps',
# ended by `topshctl sandbox stop' and by the user's /clear
# (IMSG_SANDBOX_CLEAR) with running commands spared, gone with the
# container at idle reaping; and a restarted sandboxd ends what its
# predecessor's commands left.  (The time limit killing setsid and
# background children is in sandbox_exec.sh.)
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

SBX_CONF='	disk-quota 0
	exec-timeout 20s
	idle-timeout 6s'
sbx_setup

client() {
	topsh_vouch "$1"
	shift
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u topsh-gateway -- "$TOOLS/sbxclient" \
		    "$T/run/sandboxd.sock" "$@"
	else
		"$TOOLS/sbxclient" "$T/run/sandboxd.sock" "$@"
	fi
}
inside() {	# the processes of USER's container, seen from the engine
	# (a docker exec can fail on a loaded host: asked again, not
	# taken for an empty process list)
	for _ in 1 2 3; do
		docker exec "$(sbx_cid "$1")" ps -o args 2>/dev/null && return
		sleep 1
	done
}

gw exec '{"user":901,"command":"sleep 1000 >/dev/null 2>&1 & setsid sleep 1001 >/dev/null 2>&1 & echo started"}'
has '"stdout":"started\\n"' "a command leaves two background jobs and ends"
client 901 exec '{"user":901,"command":"sleep 9; echo spared"}' \
    >"$T/running.out" 2>&1 &
running=$!
sleep 1
OUT=$(ctl sandbox ps 901 2>&1)
has 'background +sleep 1000' "sandbox ps lists a background job"
has 'background +sleep 1001' "also one that left its session"
has 'command +sleep 9' "and marks the command still running"
OUT=$(ctl -j sandbox ps 901 2>&1)
has '"kind":"background"' "sandbox ps -j: JSON objects"
OUT=$(ctl sandbox stop 901 2>&1)
has '"ended":true' "sandbox stop ends the background jobs"
OUT=$(inside 901)
hasnt 'sleep 100[01]' "they are gone"
has 'sleep 9' "the running command is spared"
wait $running
OUT=$(cat "$T/running.out")
has '"stdout":"spared\\n"' "and finishes normally"

# /clear from gatewayd (type 332, IMSG_SANDBOX_CLEAR)
gw exec '{"user":901,"command":"sleep 1002 >/dev/null 2>&1 & echo again"}'
OUT=$(inside 901)
has 'sleep 1002' "a new background job"
gw 332 '{"user":901,"chat":901}'
has '"ended":true' "the user's /clear ends it"
OUT=$(inside 901)
hasnt 'sleep 1002' "gone after /clear"
gw 332 '{"user":903,"chat":903}'
has '"ended":false' "/clear without a container: nothing to end, no error"

# a restarted sandboxd ends what its predecessor's commands left
gw exec '{"user":902,"command":"sleep 1003 >/dev/null 2>&1 & echo bg"}'
client 902 exec '{"user":902,"command":"sleep 1004"}' >/dev/null 2>&1 &
orphan=$!
sleep 1
OUT=$(inside 902)
has 'sleep 1003' "before the restart: a background job"
has 'sleep 1004' "and a command running"
topsh_kill sandboxd
wait $orphan 2>/dev/null
topsh_start sandboxd -v
topsh_wait_up sandboxd
wait_for 15 sh -c "! docker exec $(sbx_cid 902) ps -o args | grep -q 'sleep 100[34]'"
OUT=$(inside 902)
hasnt 'sleep 100[34]' "the restarted sandboxd ended both"
grep -q 'ending what the commands of an earlier run left' "$T/sandboxd.log"
ok $? "and logged it"
gw exec '{"user":902,"command":"echo after-restart"}'
has '"stdout":"after-restart\\n"' "the container works on"

# topshctl shows container output and names without control characters
ctl sandbox exec 902 -- 'printf "A\033]0;pwned\007B\033[2JC\302\233D\r\n"; sh -c "sleep 1006; :" "$(printf "x\033[31m")" >/dev/null 2>&1 &' >"$T/vis.out" 2>&1
OUT=$(cat "$T/vis.out")
has '^A\^\[\]0;pwned\^GB\^\[\[2JC\\u009bD\^M$' \
    "sandbox exec: ESC, BEL, CR and C1 shown as ^[, ^G, ^M and \\u009b"
od -An -c "$T/vis.out" | grep -Eq '033|007|302'
[ $? -ne 0 ]
ok $? "no escape byte reached the terminal"
ctl sandbox ps 902 >"$T/vis.out" 2>&1
OUT=$(cat "$T/vis.out")
has 'sleep 1006; : x\^\[\[31m' "sandbox ps: process arguments filtered too"
od -An -c "$T/vis.out" | grep -q '033'
[ $? -ne 0 ]
ok $? "(no escape byte)"
gw exec '{"user":902,"command":"printf x >\"$(printf \"n\\033[8m\")\"; echo made"}'
ctl trash list 902 >/dev/null 2>&1
gw delete "{\"user\":902,\"path\":\"n\\u001b[8m\"}"
ctl trash list 902 >"$T/vis.out" 2>&1
OUT=$(cat "$T/vis.out")
has 'n\\u001[bB]\[8m' "trash list: a file name with ESC shown escaped"
od -An -c "$T/vis.out" | grep -q '033'
[ $? -ne 0 ]
ok $? "(no escape byte)"

# idle reaping removes the container with its background jobs
gw exec '{"user":901,"command":"sleep 1005 >/dev/null 2>&1 & echo bg"}'
cid=$(sbx_cid 901)
wait_for 20 sh -c "! docker inspect $cid >/dev/null 2>&1"
ok $? "idle reaping removes the container, background job and all"

done_testing
