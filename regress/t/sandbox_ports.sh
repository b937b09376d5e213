#!/bin/sh
# sandbox_ports.sh - published ports: a range per user from the pool, no
# collisions, bound to 127.0.0.1, reachable from the host, kept across a
# restart, and an exhausted pool does not break the sandbox.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

NET=topsh-sbx-test-$$
docker network create "$NET" >/dev/null || {
	echo "not ok - cannot create a docker network"
	exit 1
}
SBX_CONF="	disk-quota 0
	network \"$NET\"
	ports-per-user 2
	port-range 28100:28105"
sbx_setup
trap 'sbx_cleanup; docker network rm "$NET" >/dev/null 2>&1' EXIT INT TERM

gw ports '{"user":401}' ports '{"user":402}'
has '^1 ports-result \{"addr":"127.0.0.1","ports":\[28100,28101\]\}' \
    "first user gets the first range"
has '^2 ports-result \{"addr":"127.0.0.1","ports":\[28102,28103\]\}' \
    "second user the next one"
gw exec '{"user":401,"command":"(while :; do echo hello-401 | nc -l -p 28100; done) >/dev/null 2>&1 & echo started"}'
has '"stdout":"started\\n"' "a server started in the sandbox"
gw exec '{"user":402,"command":"true"}'
OUT=$(docker inspect "$(sbx_cid 401)" "$(sbx_cid 402)" --format '{{json .HostConfig.PortBindings}}')
has '"28100/tcp":\[\{"HostIp":"127.0.0.1","HostPort":"28100"\}\]' \
    "published on 127.0.0.1 under the same number"
has '"28103/tcp":\[\{"HostIp":"127.0.0.1","HostPort":"28103"\}\]' \
    "the second user's range"
hasnt '0\.0\.0\.0|"HostIp":""' "nothing bound to every address"
wait_for 10 sh -c 'busybox nc 127.0.0.1 28100 </dev/null | grep -q hello-401'
ok $? "the user's server answers on the host port"

topsh_stop sandboxd
topsh_start sandboxd -v
topsh_wait_up sandboxd
gw ports '{"user":403}' ports '{"user":401}' ports '{"user":404}'
has '^1 ports-result .*\[28104,28105\]' "after a restart a new user gets a free range"
has '^2 ports-result .*\[28100,28101\]' "and the old ranges are kept"
has '^3 ports-result .*"ports":\[\]' "an exhausted pool gives no ports"
gw exec '{"user":404,"command":"echo no-ports-but-fine"}'
has '"stdout":"no-ports-but-fine\\n"' "and the sandbox still works"
grep -q 'port pool exhausted' "$T/sandboxd.log"
ok $? "the exhaustion is logged"

done_testing
