#!/bin/sh
# gateway_e2e_tokenize.sh - dlp tokenize with all four daemons, a real
# dockerd and the Telegram and model stand-ins: the model's journal
# shows placeholders only while the user's tool call gets the real
# value (regress/e2e/scenarios/tokenize.js).
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/e2e/e2e.sh"

E2E_PROXY_CONF="dlp tokenize"
e2e_setup tokenize "access open" "emoji-reactions no"
e2e_run tokenize
exit $?
