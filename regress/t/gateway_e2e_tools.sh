#!/bin/sh
# gateway_e2e_tools.sh - approvals accepted, denied and timed out, a
# denied command, ask_user, scheduled tasks, memory, send_dm (and
# dm-per-hour) and two
# users whose files stay apart; all four daemons, a real dockerd, the
# Telegram and model stand-ins.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/e2e/e2e.sh"

e2e_setup tools "access open" "emoji-reactions no" "approval-timeout 5s" "dm-per-hour 1"
e2e_run tools
exit $?
