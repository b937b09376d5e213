#!/bin/sh
# check.sh - topshctl check names what keeps this host from running
# topsh, one line per check with the fix, and exits non-zero on any
# fail; topshctl status shows the daemons and the same health, exits
# non-zero when degraded and reports a permission error as one.
. "$TOPSH_SRC/regress/t/lib.sh"
topsh_setup
topsh_need_docker >/dev/null 2>&1
chk() {
	"$BIN/topshctl" -f "$T/topsh.conf" -s "$T/run" "$@" >"$T/check.out" 2>&1
}

chk check
ok $? "a healthy host passes (exit 0)"
sed 's/^/#   /' "$T/check.out" | grep -v "^#   ok" | head -20
[ "$(grep -c '^ok    config ' "$T/check.out")" -eq 4 ]
ok $? "each of the four daemons checked the configuration"
grep -q "^ok    secrets .*telegram_token present, 0600" "$T/check.out"
ok $? "secret presence and mode"
grep -q "^warn  secrets .*gdrive_client_id missing: the Google Drive tools are not offered" "$T/check.out"
ok $? "optional Drive keys are a warning, with what is lost"
grep -q "^ok    users      topsh-policy exists" "$T/check.out"
ok $? "users"
grep -q "^ok    docker " "$T/check.out" && grep -q "^ok    image " "$T/check.out"
ok $? "docker socket and sandbox image"

# the test engine runs vfs: a warning with the fix
drv=$(docker info --format '{{.Driver}}' 2>/dev/null)
if [ "$drv" = vfs ]; then
	grep -q "^warn  storage    the engine stores containers with vfs: each is a full copy of the image.* -> run dockerd with --storage-driver overlay2" "$T/check.out"
else
	grep -q "^ok    storage    the engine's storage driver is $drv" "$T/check.out"
fi
ok $? "the engine's storage driver ($drv) is reported"

# the runtime: gVisor registered with the engine (as make check does)
TOPSH_RUNTIME=runsc topsh_need_runtime >/dev/null 2>&1
grep -q "^warn  runtime    runc shares the host's kernel while gVisor (runsc) is registered -> set sandbox { runtime auto }" "$T/check.out"
ok $? "runc where gVisor is registered is a warning, with the fix"
sed -i 's/^\([[:space:]]*runtime\) .*/\1 auto/' "$T/topsh.conf"
chk check
grep -q "^ok    runtime    auto: gVisor (runsc" "$T/check.out"
ok $? "runtime auto reports gVisor"
# what sandboxd itself picks for networked sandboxes (common/gvisor.c):
# runsc-net, and runsc (its --network=none) refused for them
sed -i 's/^sandbox {$/sandbox {\n\tnetwork per-user/' "$T/topsh.conf"
chk check
grep -q "^ok    runtime    auto: gVisor (runsc-net)" "$T/check.out"
ok $? "runtime auto with network per-user reports runsc-net, as sandboxd picks"
sed -i 's/^\([[:space:]]*runtime\) .*/\1 runsc/' "$T/topsh.conf"
chk check
[ $? -ne 0 ] && grep -q "^fail  runtime    runsc: sandboxd refuses it, no sandbox can start: its --network=none would leave the sandboxes on a Docker network without one" "$T/check.out"
ok $? "runsc named for networked sandboxes fails, as sandboxd refuses it"
sed -i '/^\tnetwork per-user$/d' "$T/topsh.conf"
sed -i 's/^\([[:space:]]*runtime\) .*/\1 no-such-runtime/' "$T/topsh.conf"
chk check
[ $? -ne 0 ] && grep -q "^fail  runtime    no-such-runtime: the Docker engine has no runtime of this name -> " "$T/check.out"
ok $? "a runtime the engine does not know fails, with the fix"
sed -i 's/^\([[:space:]]*runtime\) .*/\1 runc/' "$T/topsh.conf"

# who the bot serves: access open and pairing without admins warn
grep -q "^warn  access     access pairing with no admins: only topshctl users can let anyone in -> set gateway { admins ID }" "$T/check.out"
ok $? "access pairing without admins is a warning, with the fix"
sed -i 's/^gateway {$/gateway {\n\taccess open/' "$T/topsh.conf"
chk check
st=$?
[ $st -eq 0 ] && grep -q "^warn  access     access open: every Telegram user who finds the bot gets a container and model calls -> " "$T/check.out"
ok $? "access open is a warning (not a failure), with the fix"
sed -i 's/^\taccess open$/\taccess allowlist\n\tadmins 4242 77/' "$T/topsh.conf"
chk check
grep -q "^ok    access     access allowlist, 2 admins" "$T/check.out"
ok $? "access allowlist with admins is ok"
sed -i '/^\taccess allowlist$/d; /^\tadmins 4242 77$/d' "$T/topsh.conf"

chmod 0644 "$T/secrets/llm_api_key"
chk check
[ $? -ne 0 ] && grep -q "^fail  secrets .*llm_api_key is mode 0644.*-> chown root .*chmod 0600" "$T/check.out"
ok $? "a readable secret fails, with the fix"
chmod 0600 "$T/secrets/llm_api_key"

chown root:adm "$T/log"
chmod 0750 "$T/log"
chk check
[ $? -ne 0 ] && grep -q "^fail  dirs       topsh-policy cannot traverse $T/log (audit-log $T/log) -> chmod o+x $T/log" "$T/check.out"
ok $? "a directory the daemon's user cannot traverse fails, with the fix"
chmod 0755 "$T/log"

sed -i 's/topsh-sandbox-test:latest/topsh-no-such-image:1/' "$T/topsh.conf"
chk check
[ $? -ne 0 ] && grep -q "^fail  image      the sandbox image topsh-no-such-image:1 is missing -> " "$T/check.out"
ok $? "a missing sandbox image fails, with the fix"

cp "$T/topsh.conf" "$T/good.conf"
printf 'gateway {\n\tmax-jobs lots\n}\n' >>"$T/topsh.conf"
chk check
[ $? -ne 0 ] && grep -q "^fail  config     gatewayd refuses it: .*max-jobs" "$T/check.out"
ok $? "a refused configuration fails, naming the error"

# status: the daemons and the health
cp "$T/good.conf" "$T/topsh.conf"
topsh_start policyd
topsh_wait_up policyd
chk status
st=$?
grep -q "^policyd *up" "$T/check.out" && grep -q "^gatewayd *down" "$T/check.out"
ok $? "status shows the daemons"
[ $st -ne 0 ]
ok $? "status exits non-zero when a daemon is down"
grep -q "^fail  image " "$T/check.out"
ok $? "status shows the missing image too"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$BIN/topshctl" -s "$T/run" status policyd >"$T/check.out" 2>&1
st=$?
[ $st -ne 0 ] && grep -q "^policyd *permission denied" "$T/check.out"
ok $? "a permission error is reported as one, not as down"
done_testing
