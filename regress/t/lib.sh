# regress/t/lib.sh - helpers for topsh script tests (sourced).
#
#   . "$TOPSH_SRC/regress/t/lib.sh"
#   topsh_setup              temp dir $T with topsh.conf, runtime dir,
#                            state dir, secrets dir (canary values);
#                            $TOPSH_EXTRA_CONF is appended to topsh.conf
#   topsh_start D [args]     start daemon D in the foreground (-d) with
#                            its log in $T/D.log; pid in $T/D.pid
#   topsh_stop D / topsh_kill D (SIGKILL)
#   topsh_wait_up D...       wait until topshctl status shows them up
#   wait_for SECS CMD...     retry CMD until it succeeds
#   ctl ARGS                 topshctl -s $T/run ARGS
#   ok COND-EXIT "name"      TAP line from the last exit status
#   topsh_vouch USER...      play proxyd: tell policyd that USERs just
#                            wrote (policyd(8) TRUST), as proxyd's uid
#   as_proc D CMD...         run CMD as daemon D's user (when root)
#   topsh_need_docker        start dockerd if none answers (vfs storage,
#                            no iptables, no bridge) and build the local
#                            test image topsh-sandbox-test:latest
#   topsh_need_debian_image  the fuller image built from the host's Debian
#                            packages (etc/sandbox/build-debian-image.sh,
#                            built once per host); its name in
#                            $TOPSH_DEBIAN_IMAGE.  Set TOPSH_IMAGE to it
#                            before topsh_setup to run sandboxd with it.
#   TOPSH_WARM_POOL          the sandbox's warm-pool line: "warm-pool 0"
#                            unless set (the pool's containers would
#                            only cost the other suites time); set it
#                            empty for sandboxd's default
# Every daemon started is stopped at exit.  When run as root the daemons
# drop to their users (created here if missing, as a package would).

: "${TOPSH_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TOPSH_BUILD:=$TOPSH_SRC/build-san}"
BIN=$TOPSH_BUILD/bin
TOOLS=$TOPSH_BUILD/tools
TESTNUM=0
FAILED=0

ok() {
	rc=$1
	shift
	TESTNUM=$((TESTNUM + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $TESTNUM - $*"
	else
		echo "not ok $TESTNUM - $*"
		FAILED=$((FAILED + 1))
	fi
}

# check CMD... ; name given in $NAME
check() {
	name=$1
	shift
	"$@" >/dev/null 2>&1
	ok $? "$name"
}

diag() {
	echo "# $*"
}

wait_for() {
	secs=$1
	shift
	i=0
	while [ "$i" -lt $((secs * 10)) ]; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

topsh_need_docker() {
	if ! docker version >/dev/null 2>&1; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "# dockerd is not running and we are not root"
			return 1
		fi
		mkdir -p /var/log
		nohup dockerd --storage-driver=vfs --iptables=false \
		    --bridge=none >>/var/log/topsh-test-dockerd.log 2>&1 &
		wait_for 60 docker version || {
			echo "# dockerd did not start; see /var/log/topsh-test-dockerd.log"
			tail -n 20 /var/log/topsh-test-dockerd.log | sed 's/^/# /'
			return 1
		}
	fi
	topsh_need_runtime || return 1
	sh "$TOPSH_SRC/etc/sandbox/build-test-image.sh" >/dev/null 2>&1 ||
	    sh "$TOPSH_SRC/etc/sandbox/build-test-image.sh"
}

# The runtime the sandbox tests run under: $TOPSH_RUNTIME (runc unless
# set; regress/run.sh runs the sandbox and end-to-end suites again with
# runsc).  gVisor is registered with the engine when it is installed and
# the engine does not know it yet (etc/sandbox/register-runsc.sh).
# gVisor is registered twice: runsc for sandboxes without a network,
# runsc-net for those of a test that puts them on a Docker network
topsh_runtime() {
	rt=${TOPSH_RUNTIME:-runc}
	if [ "$rt" = runsc ] && printf '%s\n' "${TOPSH_EXTRA_CONF:-}" \
	    "${SBX_CONF:-}" | awk '$1 == "network" && $2 != "none" &&
	    $2 != "\"none\"" { f = 1 } END { exit !f }'; then
		rt=runsc-net
	fi
	echo "$rt"
}

topsh_need_runtime() {
	rt=$(topsh_runtime)
	case "$rt" in runc) return 0 ;; esac
	if ! docker info --format '{{json .Runtimes}}' 2>/dev/null |
	    grep -q "\"$rt\""; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "# the engine has no runtime $rt and we are not root"
			return 1
		fi
		sh "$TOPSH_SRC/etc/sandbox/register-runsc.sh" | sed 's/^/# /'
	fi
	docker info --format '{{json .Runtimes}}' 2>/dev/null |
	    grep -q "\"$rt\"" || {
		echo "# the engine has no runtime $rt (apt-get install runsc?)"
		return 1
	}
}

# the sandbox image with git, python3, ssh-keygen, tar...: slower to
# start a container from than the busybox one (about 200 MB copied per
# container with the vfs storage driver), so only the tests that need
# real tools use it
topsh_need_debian_image() {
	topsh_need_docker || return 1
	TOPSH_DEBIAN_IMAGE=$(sh "$TOPSH_SRC/etc/sandbox/build-debian-image.sh" \
	    -q | tail -n 1) && [ -n "$TOPSH_DEBIAN_IMAGE" ] || {
		echo "# etc/sandbox/build-debian-image.sh failed"
		return 1
	}
	export TOPSH_DEBIAN_IMAGE
}

as_proc() {
	u=$1
	shift
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "topsh-${u%d}" -- "$@"
	else
		"$@"
	fi
}

# IMSG_POLICY_VOUCH is 204 (common/imsg_policy.h)
topsh_vouch() {
	w=""
	for u in "$@"; do
		w="$w${w:+,}{\"user\":$u,\"chat\":$u,\"age\":0}"
	done
	as_proc proxyd "$TOOLS/peersend" "$T/run/policyd.sock" proxyd 204 \
	    "{\"writes\":[$w]}" 2>&1 | grep -q '"decision":"allow"'
}

topsh_users() {
	[ "$(id -u)" -eq 0 ] || return 0
	for u in topsh-gateway topsh-proxy topsh-policy topsh-sandbox \
	    topsh-egress; do
		id "$u" >/dev/null 2>&1 || useradd --system --no-create-home \
		    --home-dir /nonexistent --shell /usr/sbin/nologin "$u"
	done
	getent group docker >/dev/null 2>&1 || groupadd --system docker
}

topsh_setup() {
	topsh_users
	T=$(mktemp -d /tmp/topsh-test.XXXXXX)
	chmod 0755 "$T"
	mkdir -p "$T/run" "$T/state" "$T/secrets" "$T/log" "$T/workspaces"
	chmod 0700 "$T/secrets"
	printf '%s' "123456:TEST-canary-telegram-token-AAAAAAAAAAAAAAAA" \
	    >"$T/secrets/telegram_token"
	printf '%s' "http://127.0.0.1:9" >"$T/secrets/llm_base_url"
	printf '%s' "sk-canary-llm-key-0123456789abcdefABCDEF" \
	    >"$T/secrets/llm_api_key"
	printf '%s' "zai-canary-search-key-0123456789" \
	    >"$T/secrets/zai_api_key"
	chmod 0600 "$T/secrets"/*
	rules=""
	[ -f "$TOPSH_SRC/etc/policy/default.rules" ] &&
	    rules=" \"$TOPSH_SRC/etc/policy/default.rules\""
	cat >"$T/topsh.conf" <<EOC
# written by regress/t/lib.sh
runtime-dir "$T/run"
state-dir "$T/state"

gateway {
	system-prompt "$TOPSH_SRC/etc/prompts/system.md"
}
proxy {
	secrets-dir "$T/secrets"
	telegram-url "http://127.0.0.1:9"
	search-url "http://127.0.0.1:9/search"
}
policy {
	audit-log "$T/log/audit.log"
${rules:+	rules$rules}
}
sandbox {
	workspace-root "$T/workspaces"
	image "${TOPSH_IMAGE:-topsh-sandbox-test:latest}"
	runtime "$(topsh_runtime)"
${TOPSH_WARM_POOL-	warm-pool 0}
}
${TOPSH_EXTRA_CONF:-}
EOC
	chmod 0644 "$T/topsh.conf"
	trap topsh_cleanup EXIT INT TERM
}

topsh_start() {
	d=$1
	shift
	"$BIN/$d" -d -f "$T/topsh.conf" "$@" >>"$T/$d.log" 2>&1 &
	echo $! >"$T/$d.pid"
}

topsh_pid() {
	cat "$T/$1.pid" 2>/dev/null
}

topsh_alive() {
	p=$(topsh_pid "$1")
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null
}

topsh_stop() {
	p=$(topsh_pid "$1")
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null
	wait_for 5 sh -c "! kill -0 $p 2>/dev/null"
	kill -9 "$p" 2>/dev/null
	rm -f "$T/$1.pid"
}

topsh_kill() {
	p=$(topsh_pid "$1")
	[ -n "$p" ] && kill -9 "$p" 2>/dev/null
	wait_for 5 sh -c "! kill -0 $p 2>/dev/null"
	rm -f "$T/$1.pid"
}

ctl() {
	"$BIN/topshctl" -s "$T/run" "$@"
}

topsh_is_up() {
	for d in "$@"; do
		ctl status "$d" 2>/dev/null | grep -q "^$d *up" || return 1
	done
}

topsh_wait_up() {
	wait_for 20 topsh_is_up "$@"
}

topsh_cleanup() {
	for f in "$T"/*.pid; do
		[ -f "$f" ] || continue
		topsh_stop "$(basename "$f" .pid)"
	done
	if [ "$FAILED" -gt 0 ] || [ -n "${TOPSH_KEEP:-}" ]; then
		for l in "$T"/*.log; do
			[ -f "$l" ] || continue
			echo "# --- $l (last 30 lines)"
			tail -n 30 "$l" | sed 's/^/#   /'
		done
	fi
	[ -n "${TOPSH_KEEP:-}" ] || rm -rf "$T"
}

done_testing() {
	echo "# $TESTNUM tests, $FAILED failed"
	[ "$FAILED" -eq 0 ] && [ "$TESTNUM" -gt 0 ]
}
