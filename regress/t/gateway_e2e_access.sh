#!/bin/sh
# gateway_e2e_access.sh - access modes and limits (issue 13): pairing
# codes approved by topshctl and by an admin in Telegram, a blocked
# user, budgets, approvals in a group, group context, each user's own
# uid, max-containers 3 with 5 users; all four daemons, a real dockerd,
# the Telegram and model stand-ins.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/e2e/e2e.sh"

TOPSH_EXTRA_CONF='sandbox {
	max-containers 3
	uid-range 1200000:1200999
}'
e2e_setup access "emoji-reactions no" "approval-timeout 20s" \
    "access pairing" "admins 4001" \
    "allow-users 5003 5004 5005 5006 5101 5102 5103 5104 5105" \
    "allow-chats -100777" \
    "user-limits \"5003 model-tokens-per-day=1\"" \
    "user-limits \"5006 tool-calls-per-day=1\""
e2e_run access
exit $?
