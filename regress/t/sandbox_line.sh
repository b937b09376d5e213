#!/bin/sh
# sandbox_line.sh - max-containers reached (issue 16): users who find
# every sandbox busy wait in line, first come first served.  With
# max-containers 1, user 701 runs a command until told; 702 and then 703
# ask meanwhile and are told "full" with their place in line.  When
# 701's command ends, 702's container is started for them before they
# ask again, and 703 asking first does not take it; then 703 follows.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

SBX_CONF='	disk-quota 0
	max-containers 1'
sbx_setup

# 701 holds the only sandbox until the test lets it go (a file in its
# workspace), however slow the host
gw exec '{"user":701,"command":"echo first"}'
has '"stdout":"first\\n"' "user 701 has the only sandbox"
topsh_vouch 701
runuser -u topsh-gateway -- "$TOOLS/sbxclient" "$T/run/sandboxd.sock" \
    exec '{"user":701,"command":"while [ ! -e go ]; do sleep 0.2; done; echo slept"}' >"$T/701.out" 2>&1 &
busy=$!
sleep 1

gw exec '{"user":702,"command":"echo second"}'
has '"code":"full"' "user 702 finds every sandbox busy"
has 'number 1 in line' "and is told they are first in line"
has '"place":1[,}]' "with the place as a number, for gatewayd"
gw exec '{"user":703,"command":"echo third"}'
has '"code":"full"' "user 703 finds every sandbox busy"
has 'number 2 in line' "and is second in line"
has '"place":2[,}]' "place 2"
gw exec '{"user":703,"command":"echo third"}'
has 'number 2 in line' "asking again keeps 703's place, behind 702"

touch "$T/workspaces/701/ws/go"
wait $busy
grep -q '"stdout":"slept\\n"' "$T/701.out"
ok $? "user 701's command ran to its end"

# the freed place goes to 702 without 702 asking again
wait_for 60 sh -c "[ -n \"\$(docker ps -q --filter label=topsh.root=$T/workspaces --filter label=topsh.user=702)\" ]"
ok $? "702's container is started for them as soon as 701's is idle"
gw exec '{"user":703,"command":"echo third"}'
has '"code":"full"' "703 asking first does not take the place kept for 702"
has 'number 1 in line' "703 is now first in line"
gw exec '{"user":702,"command":"echo second"}'
has '"stdout":"second\\n"' "702's request runs in the sandbox kept for them"

# 702 is idle again: the place goes on to 703
wait_for 60 sh -c "[ -n \"\$(docker ps -q --filter label=topsh.root=$T/workspaces --filter label=topsh.user=703)\" ]"
ok $? "then 703's container is started"
gw exec '{"user":703,"command":"echo third"}'
has '"stdout":"third\\n"' "and 703's request runs"
n=$(docker ps -q --filter "label=topsh.root=$T/workspaces" | wc -l)
[ "$n" -le 1 ]
ok $? "never more than max-containers running ($n)"

OUT=$(ctl -j status sandboxd 2>&1)
has '"max_containers": *1' "status reports the limit in force"
has '"waiting_for_sandbox": *0' "and nobody is left waiting"

done_testing
