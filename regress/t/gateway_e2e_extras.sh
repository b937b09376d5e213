#!/bin/sh
# gateway_e2e_extras.sh - emoji reactions and thoughts switched on,
# the global job cap, the web tools through proxyd, /gdrive.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/e2e/e2e.sh"

e2e_setup extras "access open" "emoji-reactions yes" "emoji-chance 100%" \
    "emoji-interval 0" "thoughts yes" "thought-chance 100%" \
    "thought-interval-min 5s" "thought-interval-max 6s" "max-jobs 1" \
    "max-iterations 3"
e2e_run extras
exit $?
