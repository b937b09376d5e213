#!/bin/sh
# gateway_e2e_chat.sh - all four daemons, a real dockerd, and the
# Telegram and model stand-ins: private chat with files, a group where
# only mentions are answered, commands, rendering, uploads, a flood.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/e2e/e2e.sh"

e2e_setup chat "access open" "emoji-reactions no" "rate-per-minute 10" "status-delay 0" \
    "queue-per-user 3"
e2e_run chat
exit $?
