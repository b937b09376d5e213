#!/bin/sh
# trust.sh - a compromised gatewayd is not every user and cannot approve
# its own held commands (issue 14 item 5, policyd(8) TRUST).  A client
# speaking as gatewayd (its uid, its HELLO) tries (a) to act in the
# workspace of a user who has not written recently, (b) to approve a held
# command without a button press: with the rule name, with the ticket
# alone, with another user's press, with a press on another command,
# twice with one press, after the ticket expired; and to vouch for users
# itself.  proxyd's part (it vouches for what Telegram's updates say) is
# played by a client with proxyd's uid, as proxyd would after reading
# getUpdates.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

sbx_rules() {
	cat >"$T/sbx.rules" <<'EOR'
block sbx-forbidden category test pattern "forbidden-word" message "forbidden word"
approve sbx-approve category test pattern "needs-ok-now" message "asks first"
approve sbx-quick category test pattern "quick-ok" message "asks briefly" timeout 5s
file approve sbx-envfile path "/workspace/**/.env" ops read message "secrets file"
default command allow
default file allow
default network deny
EOR
}

if [ "$(id -u)" -ne 0 ]; then
	# the peer checks below are uid checks: they need the daemons'
	# own users, which only root can run as (not a skip: a failure)
	echo "not ok 1 - trust.sh must run as root (separate daemon uids)"
	exit 1
fi
sbx_setup

POL="$T/run/policyd.sock"
# IMSG_POLICY_VOUCH 204 (common/imsg_policy.h)
press() {	# USER DATA: proxyd saw USER press the button with DATA
	as_proc proxyd "$TOOLS/peersend" "$POL" proxyd 204 \
	    "{\"presses\":[{\"user\":$1,\"chat\":$1,\"data\":\"$2\",\"age\":0}]}" \
	    2>&1 | grep -q '"decision":"allow"'
}
ticket() {
	printf '%s\n' "$OUT" | sed -n 's/.*"ticket":"\([0-9a-f]*\)".*/\1/p' |
	    head -n 1
}

# --- (a) acting for a user who has not written -------------------------
gw_unvouched exec '{"user":201,"command":"echo should-not-run"}'
has '"code":"denied".*"rule":"unvouched-user"|"rule":"unvouched-user".*"code":"denied"' \
    "gatewayd: exec for a user who has not written is refused"
hasnt 'should-not-run' "and nothing ran"
[ -z "$(sbx_cid 201)" ]
ok $? "no container was created for that user"
gw_unvouched write '{"user":201,"path":"planted.txt","content":"x"}'
has 'unvouched-user' "a file write for that user is refused"
[ ! -e "$T/workspaces/201/ws/planted.txt" ]
ok $? "and no file was written"
gw_unvouched read '{"user":201,"path":"x"}'
has 'unvouched-user' "a read for that user is refused"
gw_unvouched ports '{"user":201}'
has 'unvouched-user' "even ports for that user are refused"
grep -q '"rule":"unvouched-user"' "$T/log/audit.log"
ok $? "the refusal is in policyd's audit log"

# gatewayd cannot vouch for anyone itself
OUT=$(as_proc gatewayd "$TOOLS/peersend" "$POL" gatewayd 204 \
    '{"writes":[{"user":201,"chat":201,"age":0}]}' 2>&1)
has '^closed' "gatewayd vouching for a user: policyd hangs up"
grep -q "gatewayd (uid [0-9]* pid [0-9]*) tried to vouch" "$T/policyd.log"
ok $? "and logs it"
# nor by claiming to be proxyd: the uid is checked
OUT=$(as_proc gatewayd "$TOOLS/peersend" "$POL" proxyd 204 \
    '{"writes":[{"user":201,"chat":201,"age":0}]}' 2>&1)
has '^closed' "gatewayd's uid claiming to be proxyd: refused"
gw_unvouched exec '{"user":201,"command":"echo should-not-run"}'
has 'unvouched-user' "the user is still not vouched for"

# a user proxyd saw write may be acted for
topsh_vouch 202
ok $? "proxyd vouches for user 202"
gw_unvouched exec '{"user":202,"command":"echo vouched-runs"}'
has '"stdout":"vouched-runs\\n"' "a user who wrote: the command runs"
gw_unvouched exec '{"user":201,"command":"echo should-not-run"}'
has 'unvouched-user' "another user's message vouches only for that user"

# --- (b) approving without a press --------------------------------------
gw_unvouched exec '{"user":202,"command":"echo needs-ok-now 1"}'
has '"code":"needs-approval"' "approve rule: held"
T1=$(ticket)
[ ${#T1} -eq 32 ]
ok $? "the refusal carries a 32-hex-digit approval ticket"
gw_unvouched exec '{"user":202,"command":"echo needs-ok-now 1","approved":"sbx-approve"}'
has '"code":"needs-approval"' "approved with the rule name (the old token): still held"
hasnt 'needs-ok-now 1\\n' "and nothing ran"
gw_unvouched exec "{\"user\":202,\"command\":\"echo needs-ok-now 1\",\"approved\":\"$T1\"}"
has 'not valid.*"code":"needs-approval"' "approved with the ticket but no press: still held"
T2=$(ticket)
[ -n "$T2" ] && [ "$T2" != "$T1" ]
ok $? "a fresh ticket each time"
# a press by someone else
topsh_vouch 203
press 203 "q:7:0:$T2"
ok $? "proxyd vouches for user 203 pressing the button of user 202"
gw_unvouched exec "{\"user\":202,\"command\":\"echo needs-ok-now 1\",\"approved\":\"$T2\"}"
has '"code":"needs-approval"' "another user's press does not approve"
grep -q "user 203 pressed the approval of user 202" "$T/policyd.log"
ok $? "policyd logs the press that does not count"
T3=$(ticket)
# gatewayd pressing for the user: hung up on
OUT=$(as_proc gatewayd "$TOOLS/peersend" "$POL" gatewayd 204 \
    "{\"presses\":[{\"user\":202,\"chat\":202,\"data\":\"q:1:0:$T3\",\"age\":0}]}" 2>&1)
has '^closed' "gatewayd vouching for a press: refused"
gw_unvouched exec "{\"user\":202,\"command\":\"echo needs-ok-now 1\",\"approved\":\"$T3\"}"
has '"code":"needs-approval"' "so the ticket is still not pressed"
T4=$(ticket)
# the user's press on one command does not approve another
press 202 "q:8:0:$T4"
gw_unvouched exec "{\"user\":202,\"command\":\"echo needs-ok-now 2\",\"approved\":\"$T4\"}"
has '"code":"needs-approval"' "a press for one command does not approve another (same rule)"
hasnt 'needs-ok-now 2\\n' "which did not run"
gw_unvouched exec "{\"user\":202,\"command\":\"echo forbidden-word\",\"approved\":\"$T4\"}"
has '"code":"denied"' "a pressed ticket never overrides deny"
# the real thing
gw_unvouched exec "{\"user\":202,\"command\":\"echo needs-ok-now 1\",\"approved\":\"$T4\"}"
has '"stdout":"needs-ok-now 1\\n"' "the user's own press on this command: it runs"
grep -q "rule sbx-approve approved by a press of user 202" "$T/policyd.log"
ok $? "policyd logs who approved"
gw_unvouched exec "{\"user\":202,\"command\":\"echo needs-ok-now 1\",\"approved\":\"$T4\"}"
has '"code":"needs-approval"' "one press approves once"
# a file approval works the same way
gw_unvouched write '{"user":202,"path":"app/.env","content":"K=v\n"}'
has '"created":true' "a .env file written (write is not held)"
gw_unvouched read '{"user":202,"path":"app/.env"}'
has '"code":"needs-approval".*"rule":"sbx-envfile"|"rule":"sbx-envfile".*"needs-approval"' "file approve rule: held"
T5=$(ticket)
press 202 "q:9:0:$T5"
gw_unvouched read "{\"user\":202,\"path\":\"app/.env\",\"approved\":\"$T5\"}"
has '"content":"K=v\\n"' "pressed file approval: the read goes ahead"
# the rule's own timeout: the ticket of sbx-quick (5 s) expires
gw_unvouched exec '{"user":202,"command":"echo quick-ok"}'
has '"timeout":5' "the refusal carries the rule's own approval timeout (5 s)"
T6=$(ticket)
sleep 11
press 202 "q:10:0:$T6"
gw_unvouched exec "{\"user\":202,\"command\":\"echo quick-ok\",\"approved\":\"$T6\"}"
has '"code":"needs-approval"' "a press after the rule's timeout does not approve"

# --- the window: a vouch older than vouch-window does not count ----------
as_proc proxyd "$TOOLS/peersend" "$POL" proxyd 204 \
    '{"writes":[{"user":204,"chat":204,"age":7200}]}' >/dev/null 2>&1
gw_unvouched exec '{"user":204,"command":"echo old"}'
has 'unvouched-user' "a message older than vouch-window (1h) does not vouch"

ctl -j status policyd >"$T/st.json" 2>&1
grep -q '"vouch":{[^}]*"refused":[1-9]' "$T/st.json"
ok $? "topshctl status policyd counts the refusals"
for d in policyd sandboxd; do
	topsh_alive $d
	ok $? "$d still up"
done
done_testing
