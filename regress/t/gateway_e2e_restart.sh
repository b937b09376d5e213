#!/bin/sh
# gateway_e2e_restart.sh - each of the four daemons restarted in the
# middle of a conversation: nothing lost, nothing repeated; and the
# random reply chance in groups.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/e2e/e2e.sh"

e2e_setup restart "access open" "emoji-reactions no" "status-delay 0" "group-reply-chance 100%" \
    "group-reply-min-length 40"
e2e_run restart
exit $?
