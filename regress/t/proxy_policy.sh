#!/bin/sh
# proxy_policy.sh - proxyd's egress proxy and -R with the real policyd
# and the shipped rules (etc/policy): metadata, loopback (in any
# spelling) and private destinations are refused with the rule that
# matched, every decision is audited by policyd, the egress child runs
# as its own user, and -R redacts the canary secrets.
. "$TOPSH_SRC/regress/t/lib.sh"

# a port nothing listens on (curl: 7 = connection refused)
port=$(( 20000 + $$ % 20000 ))
while curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/"; [ $? -ne 7 ]; do
	port=$((port + 1))
done
TOPSH_EXTRA_CONF="proxy {
	egress yes
	egress-listen 127.0.0.1
	egress-port $port
}"
topsh_setup
# only the network rules: this test is about destinations
sed -i "s|^[[:space:]]*rules .*|	rules \"$TOPSH_SRC/etc/policy/network.rules\" \"$TOPSH_SRC/etc/policy/metadata.rules\"|" "$T/topsh.conf"

topsh_start policyd
topsh_start proxyd
topsh_wait_up policyd proxyd
ok $? "policyd and proxyd up"
wait_for 20 grep -q "egress connected" "$T/policyd.log"
ok $? "the egress child connected to policyd as egress"

via() {
	curl -s -m 10 -x "http://127.0.0.1:$port" -o "$T/out" \
	    -w '%{http_code}' "$@" 2>/dev/null
}

code=$(via http://169.254.169.254/latest/meta-data/)
[ "$code" = 403 ]
ok $? "metadata address refused ($code)"
grep -q "metadata" "$T/out"
ok $? "the refusal names the metadata rule"

code=$(via http://127.0.0.1:9/)
[ "$code" = 403 ]
ok $? "loopback refused ($code)"
code=$(via http://2130706433:9/)
[ "$code" = 403 ]
ok $? "decimal loopback refused ($code)"
code=$(via "http://[::ffff:169.254.169.254]/")
[ "$code" = 403 ]
ok $? "v4-mapped metadata refused ($code)"
code=$(via http://localhost:9/)
[ "$code" = 403 ]
ok $? "localhost refused ($code)"
code=$(curl -s -m 10 -p -x "http://127.0.0.1:$port" -o /dev/null \
    -w '%{http_connect}' http://10.1.2.3:443/ 2>/dev/null)
[ "$code" = 403 ]
ok $? "CONNECT to a private address refused ($code)"

ctl -j status proxyd >"$T/status.json" 2>&1
grep -q '"egress":"running"' "$T/status.json"
ok $? "topshctl status shows the egress proxy running"
grep -q '"fetch_denied":' "$T/status.json"
ok $? "topshctl status shows proxyd's counters"

grep -q '"decision":"deny".*169.254.169.254' "$T/log/audit.log"
ok $? "policyd audited the metadata decision"
grep -q "egress: deny HTTP 169.254.169.254:80" "$T/proxyd.log"
ok $? "proxyd logged the decision"

eg=$(pgrep -f "proxyd -d -f $T/topsh.conf -E" | head -1)
[ -n "$eg" ]
ok $? "the egress child runs (pid $eg)"
if [ "$(id -u)" -eq 0 ]; then
	[ "$(stat -c %U /proc/$eg)" = topsh-egress ]
	ok $? "the egress child runs as topsh-egress"
	grep -q "^Seccomp:[[:space:]]*2" "/proc/$eg/status"
	ok $? "the egress child is under seccomp"
else
	ok 1 "the egress child's own uid: needs root (run make check as root)"
fi

out=$(printf 'key sk-canary-llm-key-0123456789abcdefABCDEF mail a@b.example\n' |
    "$BIN/proxyd" -f "$T/topsh.conf" -R 2>&1)
ok $? "proxyd -R exits 0"
! echo "$out" | grep -q "sk-canary"
ok $? "proxyd -R redacts the secret"
! echo "$out" | grep -q "a@b.example"
ok $? "proxyd -R redacts the e-mail address"

# policyd down: the egress proxy refuses everything (fail closed), saying
# why, instead of connecting; and it comes back when policyd does
topsh_stop policyd
code=$(via http://192.0.2.1/)
[ "$code" = 403 ] && grep -qi "policy" "$T/out" &&
    ! grep -q "by rule" "$T/out"
ok $? "policyd down: the egress proxy refuses ($code: $(head -c 80 "$T/out"))"
code=$(curl -s -m 10 -p -x "http://127.0.0.1:$port" -o /dev/null \
    -w "%{http_connect}" http://192.0.2.1:443/ 2>/dev/null)
[ "$code" = 403 ]
ok $? "policyd down: CONNECT refused too ($code)"
topsh_start policyd
topsh_wait_up policyd
wait_for 20 sh -c "[ \$(grep -c 'egress connected' '$T/policyd.log') -ge 2 ]"
ok $? "the egress child reconnects to the restarted policyd"
code=$(via http://169.254.169.254/latest/meta-data/)
[ "$code" = 403 ] && grep -q "metadata" "$T/out"
ok $? "and is refused by the rule again ($code)"

topsh_stop proxyd
wait_for 10 sh -c "! kill -0 $eg"
ok $? "the egress child exits with proxyd"
! grep -q "sk-canary\|TEST-canary\|zai-canary" "$T/proxyd.log"
ok $? "no secret in proxyd's log"
done_testing
