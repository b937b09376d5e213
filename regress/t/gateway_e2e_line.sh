#!/bin/sh
# gateway_e2e_line.sh - max-containers reached, end to end: with one
# sandbox busy, the next users are told they wait and their place in
# line (sandboxd's "place", not its wording), and every request is
# answered in turn once the sandbox is free (regress/e2e/scenarios/line.js).
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/e2e/e2e.sh"

E2E_SANDBOX_CONF="max-containers 1"
e2e_setup line "access open" "emoji-reactions no"
e2e_run line
exit $?
