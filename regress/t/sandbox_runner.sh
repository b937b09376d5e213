#!/bin/sh
# sandbox_runner.sh - the resident command runner (runner/topsh-runner.c)
# against the real Docker engine: commands go through it, not the
# Engine's exec API (sandboxd's counters say which); exit codes, stderr,
# the output cap and the time limit through it, a setsid'd background
# child killed at the limit; a user writing garbage or forged frames
# where the runner writes, or killing the runner, harms nobody else and
# the next command works; under gVisor a sandbox that many processes at
# once left half full of host tasks is restarted once idle, so that the
# next such command works; a container without the runner (adopted from
# an older version) runs its commands through the exec API; a restarted
# sandboxd attaches again and ends what the earlier run's commands left.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

SBX_CONF='	exec-timeout 20s
	output-cap 4K
	user-limits "204 pids=64"'
sbx_setup

# counter NAME: sandboxd's status figure
counter() {
	ctl -j status sandboxd 2>/dev/null | tr ',{}' '\n\n\n' |
	    sed -n "s/^ *\"$1\": *\([0-9]*\).*/\1/p"
}

gw exec '{"user":201,"command":"echo out; echo err >&2; exit 7"}'
has '"exit":7,"stdout":"out\\n","stderr":"err\\n"' \
    "exit code, stdout and stderr through the runner"
OUT="runner=$(counter runner_commands) exec=$(counter exec_commands)"
has '^runner=1 exec=0$' "the command went through the runner, not docker exec"
grep -q "user 201: exec runner-1 exit 7" "$T/sandboxd.log"
ok $? "sandboxd logs it as the runner's"

gw exec '{"user":201,"command":"kill -TERM $$"}'
has '"exit":143' "a command killed by a signal: 128 + the signal"

gw exec '{"user":201,"command":"echo FIRST; seq 1 40000; echo LAST >&2; seq 1 3000 >&2"}'
has '"stdout":"FIRST\\n1\\n2\\n' "output cap: the head"
has '39999\\n40000\\n","stderr"' "output cap: the tail"
has '"stderr":"LAST\\n1\\n2\\n.*2999\\n3000\\n"' "stderr capped on its own"
has '"truncated":true,"stdout_cut":[0-9]{5,},"stderr_cut":[0-9]{3,}' \
    "cut bytes counted for each"

gw exec '{"user":201,"command":"printf \"%s\" \"$TOPSH_EXEC\"; pwd; id -u"}'
has '"stdout":"[0-9a-f]{16}/workspace\\n[1-9][0-9]*\\n"' \
    "tagged, in /workspace, as the user"

# --- the time limit: every process of the command dies, setsid or not
gw exec '{"user":201,"command":"setsid sh -c \"sleep 303\" & (sleep 304 &); sleep 100","timeout":1}'
has '"exit":137,.*"timed_out":true' "stopped at its time limit"
gw exec '{"user":201,"command":"ps -o pid,args"}'
hasnt 'sleep 30[34]' "the setsid'd and the orphaned children are gone"
OUT="kills=$(counter runner_kills) exec=$(counter exec_commands)"
has '^kills=1 exec=0$' "the runner killed them, without an exec"

# --- garbage and forged frames where the runner writes
forge='p=$(pidof runner); ls /proc/$p/fd >/dev/null 2>\u00261 \u0026\u0026 echo FDS-VISIBLE; printf \"\\164\\122\\007\\000\\000\\000\\000\\001\\000\\000\\000\\004\\000\\000\\000\\000\\056\\145\\136\\144garbage\" >/proc/$p/fd/1 2>/dev/null \u0026\u0026 echo WROTE; echo after'
gw exec '{"user":201,"command":"'"$forge"'"}'
case $(topsh_runtime) in
runsc*)
	# gVisor's /proc does not honour the runner's non-dumpable flag:
	# the bytes may reach sandboxd, which must drop the runner
	has '"stdout":"(FDS-VISIBLE\\n)?(WROTE\\n)?after\\n"|runner in the container went away' \
	    "the forging command is answered (or its runner dropped)"
	;;
*)
	has '"exit":0,"stdout":"after\\n"' \
	    "the runner's fds cannot be opened through /proc"
	;;
esac
gw exec '{"user":202,"command":"echo other user"}'
has '"exit":0,"stdout":"other user\\n"' "another user is unaffected"
gw exec '{"user":201,"command":"echo still works"}'
has '"exit":0,"stdout":"still works\\n"' "the forger's next command works"
topsh_is_up sandboxd
ok $? "sandboxd is still up"

# --- the user kills the runner: answered, and the next command works
r0=$(counter runner_commands)
gw exec '{"user":201,"command":"kill -9 $(pidof runner); sleep 5; echo not-here"}'
has '"error"|"exit":137' "the command in flight is answered, not left hanging"
hasnt 'not-here' "it did not go on"
gw exec '{"user":201,"command":"echo back; pidof runner >/dev/null && echo runner-again"}'
has '"exit":0,"stdout":"back\\nrunner-again\\n"' \
    "the next command works, with a runner again"
OUT="failures=$(counter runner_failures) more=$(( $(counter runner_commands) - r0 ))"
has '^failures=[1-9][0-9]* more=[2-9]' "the failure is counted and the runner used again"

# --- gVisor: a sandbox left half full of host tasks is restarted idle
case $(topsh_runtime) in
runsc*)
	# many processes at once leave their host tasks pooled in the
	# Sentry, more with each such command, until a fork takes the
	# sandbox past its host pids limit and down.  Once the user's
	# commands are over the count is read (at most every 5 s), and the
	# sandbox restarted when half full.
	burst='i=0; while [ $i -lt 60 ]; do sleep 1 \u0026 i=$((i+1)); done; wait; echo'
	gw exec "{\"user\":204,\"command\":\"$burst burst-1\"}"
	has '"exit":0,"stdout":"burst-1\\n"' "60 processes at once"
	gw exec "{\"user\":204,\"command\":\"$burst burst-2\"}"
	has '"exit":0,"stdout":"burst-2\\n"' "60 more at once"
	full="user 204: the sandbox holds [0-9]* of its 896 host tasks after its commands ended; restarting"
	n=0
	until grep -q "$full" "$T/sandboxd.log" || [ $n -ge 20 ]; do
		gw exec '{"user":204,"command":"true"}'
		sleep 1
		n=$((n + 1))
	done
	grep -q "$full" "$T/sandboxd.log"
	ok $? "the sandbox they left half full is restarted when idle"
	gw exec '{"user":204,"command":"echo back"}'
	has '"exit":0,"stdout":"back\\n"' "the next command runs after the restart"
	OUT="host tasks $(docker stats --no-stream --format '{{.PIDs}}' "$(sbx_cid 204)")"
	has '^host tasks ([1-9]|[1-9][0-9]|[1-3][0-9][0-9]|4[0-3][0-9])$' "in a sandbox far from its host pids limit again"
	gw exec "{\"user\":204,\"command\":\"$burst burst-3\"}"
	has '"exit":0,"stdout":"burst-3\\n"' "and 60 more at once work"
	;;
esac

# --- a container made without the runner (an older version): exec API
mkdir -p "$T/workspaces/203/ws"
cid=$(docker run -d --label "topsh.user=203" \
    --label "topsh.root=$T/workspaces" \
    --label "topsh.runtime=$(topsh_runtime)" --runtime "$(topsh_runtime)" \
    --network none --user 65534:65534 \
    -v "$T/workspaces/203/ws:/workspace" -w /workspace \
    "${TOPSH_IMAGE:-topsh-sandbox-test:latest}" sleep 600)
[ -n "$cid" ]
ok $? "an old-style container without the runner"
topsh_stop sandboxd
topsh_start sandboxd -v
topsh_wait_up sandboxd
wait_for 20 grep -q "adopted [1-9]" "$T/sandboxd.log"
e0=$(counter exec_commands)
gw exec '{"user":203,"command":"echo via-exec"}'
has '"exit":0,"stdout":"via-exec\\n"' "its command runs"
OUT="exec=$(( $(counter exec_commands) - e0 ))"
has '^exec=1$' "through the Engine's exec API"

# --- a restarted sandboxd attaches again and resets: what the earlier
# run's commands left is ended, the runner carries the commands
gw exec '{"user":201,"command":"setsid sleep 305 >/dev/null 2>&1 & echo started"}'
has '"stdout":"started\\n"' "a command leaves a process behind"
topsh_stop sandboxd
topsh_start sandboxd -v
topsh_wait_up sandboxd
wait_for 20 grep -q "adopted [1-9]" "$T/sandboxd.log"
gw exec '{"user":201,"command":"ps -o args | grep -c \"^sleep 305\""}'
has '"stdout":"0\\n"' "the earlier run's leftover is gone"
OUT="runner=$(counter runner_commands)"
has '^runner=1$' "the restarted sandboxd runs it through the runner"
