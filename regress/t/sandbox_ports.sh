#!/bin/sh
# sandbox_ports.sh - published ports: a range per user from the pool, no
# collisions, bound to 127.0.0.1, reachable from the host, kept across a
# restart, and an exhausted pool does not break the sandbox.  With
# "network per-user" each user has a network of their own: one user's
# server is not reachable from another user's container (issue 14, item
# 4), while the host still reaches it and it still reaches the host.
# The test's dockerd runs with --iptables=false: nothing but sandboxd's
# own measures keeps the users apart.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

SBX_CONF="	disk-quota 0
	network per-user
	network-pool 10.213.128.0/24
	ports-per-user 2
	port-range 28100:28105"
sbx_setup

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

# --- users do not reach each other
ip1=$(docker inspect "$(sbx_cid 401)" --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}')
ip2=$(docker inspect "$(sbx_cid 402)" --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}')
gw1=$(docker inspect "$(sbx_cid 401)" --format '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}')
OUT=$(docker inspect "$(sbx_cid 401)" "$(sbx_cid 402)" --format '{{.HostConfig.NetworkMode}}')
n=$(printf '%s\n' "$OUT" | sort -u | wc -l)
[ "$n" -eq 2 ] && [ -n "$ip1" ] && [ -n "$ip2" ] && [ "$ip1" != "$ip2" ]
ok $? "each user has a network of their own ($ip1, $ip2)"
has '^topsh-[0-9a-f]+-net-401$' "named after the user"
OUT=$(docker network inspect "$(docker inspect "$(sbx_cid 401)" --format '{{.HostConfig.NetworkMode}}')" --format '{{json .Options}} {{json .IPAM.Config}}')
has '"com.docker.network.bridge.enable_icc":"false"' "no traffic between containers on it"
has '10\.213\.128\.[0-9]+/29' "a /29 from network-pool"
gw exec "{\"user\":402,\"command\":\"nc -w 3 $ip1 28100 </dev/null; echo rc=\$?\"}"
hasnt 'hello-401' "another user's container cannot reach the server"
has 'rc=1' "(the connection fails)"
gw exec "{\"user\":402,\"command\":\"wget -q -T 3 -O - http://$ip1:28100/ 2>&1; echo rc=\$?\"}"
hasnt 'hello-401' "nor with wget"
gw exec "{\"user\":401,\"command\":\"nc -w 3 127.0.0.1 28100 </dev/null\"}"
has 'hello-401' "the user reaches their own server"
# the host's addresses stay reachable (proxyd's egress proxy listens there)
busybox nc -l -p 28199 -e echo host-here >/dev/null 2>&1 &
hostnc=$!
sleep 0.3
gw exec "{\"user\":402,\"command\":\"nc -w 3 $gw1 28199 </dev/null; gw=\$(ip route | awk '/default/ { print \$3 }'); nc -w 3 \$gw 28199 </dev/null; echo done\"}"
kill $hostnc 2>/dev/null
has 'host-here' "a container still reaches the host"

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
