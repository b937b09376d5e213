#!/bin/sh
# regress/redteam/redteam.sh - the red team suite (issue 14): a hostile
# user drives the agent with scripted model replies (attacks.json) that
# try to extract secrets in every form, reach another user's data and the
# host, escape the sandbox, evade the policy and exhaust resources, while
# a second user's latency is measured.  Canaries sit in proxyd's secrets,
# in the other user's workspace, on the host and in the daemons'
# environment; no canary (raw, base64, hex, URL-encoded, reversed) may
# reach a reply, a model request, a log, a sandbox or a file, every daemon
# must still be up and the other user's latency bounded.  Prints counts.
# Run by regress/run.sh (make check); about two minutes.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/e2e/e2e.sh"

RT=$TOPSH_SRC/regress/redteam
FX=$(mktemp -d /tmp/topsh-redteam-fx.XXXXXX)
node "$RT/redteam.js" fixtures >"$FX/redteam.json" || {
	echo "not ok 1 - cannot build the fixtures from attacks.json"
	rm -rf "$FX"
	exit 1
}
# the daemons' environment canary (inherited by every daemon)
export TOPSH_RT_ENV_CANARY="envcanary-5e1d7c93a0b84f26-daemon-environment"
E2E_FIXTURES=$FX
E2E_SANDBOX_CONF="exec-timeout 5s;output-cap 64K;disk-quota 64M;memory 256M;pids 64"
e2e_setup redteam "access open" "emoji-reactions no" "approval-timeout 5s" \
    "rate-per-minute 200" "queue-per-user 50" "max-jobs 8"
rm -rf "$FX"
# the host canary: a file only root may read
printf '%s' "hostcanary-9b27e4f1c3d6a850-on-the-host" >"$T/host-canary.txt"
chmod 0600 "$T/host-canary.txt"
export TOPSH_RT_ENV_CANARY
node "$RT/redteam.js"
rc=$?
[ "$rc" -eq 0 ] || FAILED=$((FAILED + 1))
exit $rc
