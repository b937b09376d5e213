# regress/e2e/e2e.sh - start the whole of topsh against the stand-ins
# (sourced after regress/t/lib.sh).
#
#   e2e_setup NAME [gateway settings...]
#       the Telegram stand-in (tgserver.js) and the model stand-in (aimock,
#       strict, fixtures from regress/e2e/fixtures/NAME) on free ports of
#       127.0.0.1, a real dockerd, then policyd, sandboxd, proxyd and
#       gatewayd with the shipped policy; extra gateway { } lines may be
#       given as arguments, sandbox { } and proxy { } lines in
#       $E2E_SANDBOX_CONF and $E2E_PROXY_CONF (";"-separated).
#       Exports what harness.js needs.
#       E2E_FIXTURES: another fixture directory; E2E_NOSTART: leave the
#       daemons to the caller (the bench times their start).
#   e2e_run SCENARIO   node regress/e2e/scenarios/SCENARIO.js
#
# The stand-ins come from npm (regress/e2e/package.json, pinned versions,
# package-lock.json): `cd regress/e2e && npm ci'.

E2E_DIR=$TOPSH_SRC/regress/e2e

e2e_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

e2e_fail() {
	echo "not ok 1 - $*"
	FAILED=1
	[ -n "${T:-}" ] && ctl status >&2
	exit 1
}

# sandboxd's containers and workspace mounts go with the test
e2e_cleanup() {
	topsh_stop gatewayd
	topsh_stop sandboxd
	ids=$(docker ps -aq --filter "label=topsh.root=$T/workspaces" \
	    2>/dev/null)
	[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	for m in "$T"/workspaces/* "$T"/workspaces/.pool/*; do
		mountpoint -q "$m" 2>/dev/null && umount "$m"
	done
	# the stand-ins go even if their pid files went missing
	for p in ${E2E_PIDS:-}; do
		kill "$p" 2>/dev/null
	done
	topsh_cleanup
}

e2e_setup() {
	name=$1
	shift
	command -v node >/dev/null 2>&1 || e2e_fail "node is not installed"
	[ -d "$E2E_DIR/node_modules/telegram-test-api" ] &&
	    [ -d "$E2E_DIR/node_modules/@copilotkit/aimock" ] ||
	    e2e_fail "stand-ins missing: run npm ci in regress/e2e"
	topsh_need_docker >/dev/null 2>&1 || e2e_fail "no docker engine"
	topsh_setup
	trap e2e_cleanup EXIT INT TERM
	E2E_TG=$(e2e_port)
	E2E_LLM=$(e2e_port)
	E2E_TOKEN=$(cat "$T/secrets/telegram_token")
	node "$E2E_DIR/tgserver.js" "$E2E_TG" >"$T/tgserver.log" 2>&1 &
	E2E_PIDS="$!"
	echo $! >"$T/tgserver.pid"
	node "$E2E_DIR/node_modules/@copilotkit/aimock/dist/cli.js" \
	    -p "$E2E_LLM" -h 127.0.0.1 -f "${E2E_FIXTURES:-$E2E_DIR/fixtures/$name}" --strict \
	    --log-level warn >"$T/aimock.log" 2>&1 &
	E2E_PIDS="$E2E_PIDS $!"
	echo $! >"$T/aimock.pid"
	printf '%s' "http://127.0.0.1:$E2E_LLM/v1" >"$T/secrets/llm_base_url"
	# the model stand-in and the Telegram stand-in, the shipped rules
	sed -i -e "s|telegram-url \"[^\"]*\"|telegram-url \"http://127.0.0.1:$E2E_TG\"|" \
	    -e "s|search-url \"[^\"]*\"|search-url \"http://127.0.0.1:$E2E_TG/__search\"|" \
	    -e "s|^\(\t*\)rules .*|\1rules \"$TOPSH_SRC/etc/policy/default.rules\"|" \
	    "$T/topsh.conf"
	grep -q "^[[:space:]]*rules " "$T/topsh.conf" ||
	    sed -i "s|^policy {|policy {\n\trules \"$TOPSH_SRC/etc/policy/default.rules\"|" \
	    "$T/topsh.conf"
	for kv in "$@"; do
		sed -i "s|^gateway {|gateway {\n\t$kv|" "$T/topsh.conf"
	done
	# E2E_SANDBOX_CONF, E2E_PROXY_CONF: lines for sandbox { } and
	# proxy { }, separated by ";"
	for sec in sandbox proxy; do
		eval "lines=\${E2E_$(echo $sec | tr a-z A-Z)_CONF:-}"
		printf '%s\n' "$lines" | tr ';' '\n' | while read -r kv; do
			[ -n "$kv" ] &&
			    sed -i "s|^$sec {|$sec {\n\t$kv|" "$T/topsh.conf"
		done
	done
	wait_for 20 curl -sf "http://127.0.0.1:$E2E_TG/__journal" ||
	    e2e_fail "the Telegram stand-in did not start"
	wait_for 20 curl -sf "http://127.0.0.1:$E2E_LLM/__aimock/journal" ||
	    e2e_fail "aimock did not start"
	if [ -z "${E2E_NOSTART:-}" ]; then
		for d in policyd sandboxd proxyd gatewayd; do
			topsh_start "$d"
		done
		wait_for 60 topsh_is_up policyd sandboxd proxyd gatewayd ||
		    e2e_fail "the daemons did not all come up"
	fi
	export E2E_T="$T" E2E_BIN="$BIN" E2E_TG E2E_LLM E2E_TOKEN \
	    E2E_CONF="$T/topsh.conf"
}

# the scenario prints the TAP lines; its status is the script's
e2e_run() {
	node "$E2E_DIR/scenarios/$1.js"
	rc=$?
	[ "$rc" -eq 0 ] || FAILED=$((FAILED + 1))
	return $rc
}
