#!/bin/sh
# package.sh - make deb builds topsh_VERSION_ARCH.deb with no lintian
# error; it installs on this machine (users, directories, secrets 0700,
# configuration, nothing started), the installed daemons run from the
# installed paths with the installed configuration against the Telegram
# and model stand-ins and pass topshctl check; purge removes it all.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/e2e/e2e.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "not ok 1 - package.sh must run as root (it installs the package)"
	exit 1
fi
if dpkg -s topsh >/dev/null 2>&1; then
	echo "not ok 1 - a topsh package is installed already; not touching it"
	exit 1
fi
ARCH=$(dpkg --print-architecture)
VERSION=$(sed -n 's/^VERSION =[[:space:]]*//p' "$TOPSH_SRC/Makefile")
DEB=$TOPSH_SRC/topsh_${VERSION}_$ARCH.deb
P=$(mktemp -d /tmp/topsh-package.XXXXXX)
pkg_cleanup() {
	for d in gatewayd sandboxd proxyd policyd; do
		[ -f "$P/$d.pid" ] && kill "$(cat "$P/$d.pid")" 2>/dev/null
	done
	sleep 1
	for p in ${PIDS:-}; do kill "$p" 2>/dev/null; done
	dpkg --purge topsh >/dev/null 2>&1
	[ "$FAILED" -gt 0 ] && for l in "$P"/*.log; do
		echo "# --- $l"; tail -n 20 "$l" | sed 's/^/#   /'; done
	rm -rf "$P"
}
trap pkg_cleanup EXIT INT TERM

make -s -C "$TOPSH_SRC" deb >"$P/build.log" 2>&1
ok $? "make deb builds the package and lintian reports no error"
grep '^[EW]: ' "$P/build.log" | sed 's/^/#   /'
[ -f "$DEB" ]
ok $? "topsh_${VERSION}_$ARCH.deb is there"
dpkg -i "$DEB" >"$P/install.log" 2>&1
ok $? "dpkg -i installs it"
for b in gatewayd proxyd policyd sandboxd topshctl; do
	[ -x "/usr/sbin/$b" ] || break
done
ok $? "the binaries are in /usr/sbin"
grep -q "^ExecStart=/usr/sbin/proxyd -d -f /etc/topsh/topsh.conf" \
    /lib/systemd/system/topsh-proxyd.service
ok $? "the units name the installed paths"
[ -f /usr/share/topsh/policy/default.rules ] &&
    [ -f /usr/share/topsh/prompts/system.md ] &&
    [ -f /etc/topsh/topsh.conf ] && [ -f /etc/topsh/policy/local.rules ]
ok $? "shipped rules and prompt under /usr/share/topsh, configuration in /etc/topsh"
[ "$(stat -c %a /etc/topsh/secrets)" = 700 ]
ok $? "/etc/topsh/secrets is 0700"
id topsh-policy >/dev/null 2>&1 && id topsh-proxy >/dev/null 2>&1
ok $? "postinst created the users"
dpkg-query -W -f='${Conffiles}\n' topsh | grep -q "/etc/topsh/topsh.conf"
ok $? "/etc/topsh/topsh.conf is a conffile"
running_installed() {
	for p in /proc/[0-9]*; do
		case "$(readlink "$p/exe" 2>/dev/null)" in
		/usr/sbin/gatewayd|/usr/sbin/proxyd|/usr/sbin/policyd|\
		    /usr/sbin/sandboxd)
			return 0 ;;
		esac
	done
	return 1
}
! running_installed
ok $? "nothing was started"

# the stand-ins, as the end-to-end tests run them
topsh_need_docker >/dev/null 2>&1
TG=$(e2e_port)
LLM=$(e2e_port)
node "$E2E_DIR/tgserver.js" "$TG" >"$P/tgserver.log" 2>&1 &
PIDS=$!
node "$E2E_DIR/node_modules/@copilotkit/aimock/dist/cli.js" -p "$LLM" \
    -h 127.0.0.1 -f "$E2E_DIR/fixtures/chat" --log-level warn \
    >"$P/aimock.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 20 curl -sf "http://127.0.0.1:$TG/__journal" &&
    wait_for 20 curl -sf "http://127.0.0.1:$LLM/__aimock/journal"
ok $? "the Telegram and model stand-ins run"

# the operator's steps: secrets, then the configuration
(umask 077
printf %s "123456:TEST-package-token-AAAAAAAAAAAAAAAAAAAA" \
    >/etc/topsh/secrets/telegram_token
printf %s "http://127.0.0.1:$LLM/v1" >/etc/topsh/secrets/llm_base_url
printf %s "sk-package-test-0123456789" >/etc/topsh/secrets/llm_api_key
printf %s "zai-package-test-0123456789" >/etc/topsh/secrets/zai_api_key)
sed -i -e "s|^proxy {|proxy {\n\ttelegram-url \"http://127.0.0.1:$TG\"|" \
    -e "s|^\([[:space:]]*image\) .*|\1 topsh-sandbox-test:latest|" \
    -e "s|^\([[:space:]]*disk-quota\) .*|\1 0|" \
    -e "s|^\([[:space:]]*llm-model\) .*|\1 gpt-4o|" /etc/topsh/topsh.conf
for d in policyd sandboxd proxyd gatewayd; do
	"/usr/sbin/$d" -d -f /etc/topsh/topsh.conf >"$P/$d.log" 2>&1 &
	echo $! >"$P/$d.pid"
done
up() {
	for d in policyd sandboxd proxyd gatewayd; do
		/usr/sbin/topshctl status "$d" 2>/dev/null | grep -q "^$d *up" ||
		    return 1
	done
}
wait_for 60 up
ok $? "the installed daemons run from /usr/sbin with /etc/topsh/topsh.conf"
/usr/sbin/topshctl check >"$P/check.log" 2>&1
ok $? "topshctl check passes"
sed 's/^/#   /' "$P/check.log" | grep -v "^#   ok"
grep -q "^ok    telegram   getMe: the token is valid, bot @" "$P/check.log" &&
    grep -q "^ok    model-api  the endpoint answers and lists llm-model gpt-4o" \
    "$P/check.log"
ok $? "check: the bot token and the model through the installed proxyd"
/usr/sbin/topshctl status >"$P/status.log" 2>&1
ok $? "topshctl status: nothing degraded"

for d in gatewayd sandboxd proxyd policyd; do
	kill "$(cat "$P/$d.pid")" 2>/dev/null
	rm -f "$P/$d.pid"
done
sleep 1
dpkg --purge topsh >"$P/purge.log" 2>&1
ok $? "dpkg --purge removes it"
[ ! -e /usr/sbin/gatewayd ] && [ ! -e /etc/topsh/secrets ] &&
    [ ! -e /var/lib/topsh ] && [ ! -e /lib/systemd/system/topsh.target ]
ok $? "binaries, units, secrets and state are gone"
done_testing
