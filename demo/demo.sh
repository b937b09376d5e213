#!/bin/sh
# demo/demo.sh - `make demo': topsh seen working, with no secret and no
# network beyond this machine.
#
# In a scratch directory, and as an installed system runs (the same
# binaries started as root with -d, each dropping to its own user from
# sysusers.d/topsh.conf and confining itself; the shipped sample
# configuration, rules and prompt), it starts a Docker engine if none
# answers, the sandbox image built from the host's Debian packages
# (etc/sandbox/build-debian-image.sh), the Telegram stand-in and the
# model stand-in of the end-to-end tests (regress/e2e), and the four
# daemons.  demo/chat.js then plays a conversation and prints it as the
# person in Telegram sees it.  Everything started is stopped and
# everything made is removed at the end; the image is kept (it is a
# cache: `docker rmi' removes it).
#
# usage: demo.sh [-i] [-k]
#   -i  interactive: you type Alice's messages.  With TOPSH_DEMO_LLM_URL
#       (an OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1
#       for Ollama), TOPSH_DEMO_LLM_MODEL (the model's name) and,
#       optionally, TOPSH_DEMO_LLM_KEY set, that model answers instead
#       of the scripted one.
#   -k  keep the scratch directory (logs, state) for a look afterwards
#
# TOPSH_DEMO_FIXTURES names another directory of model fixtures (the
# tests use one whose model only claims to have done the work).
#
# Exit status 0 only when the scripted conversation happened as written
# (each step's content is checked); in interactive mode, 0 when the
# daemons came up and went down cleanly.
set -u

SRC=$(cd "$(dirname "$0")/.." && pwd)
: "${TOPSH_BUILD:=$SRC/build}"
BIN=$TOPSH_BUILD/bin
E2E=$SRC/regress/e2e
interactive=0
keep=${TOPSH_DEMO_KEEP:-}
while getopts ik o; do
	case $o in
	i) interactive=1 ;;
	k) keep=1 ;;
	*) echo "usage: demo.sh [-i] [-k]" >&2; exit 2 ;;
	esac
done

D=
made_users=""
made_group=0
dockerd_pid=
pids=""
started=$(date +%s)

say() {
	echo "demo: $*"
}

die() {
	echo "demo: $*" >&2
	exit 1
}

wait_for() {
	secs=$1
	shift
	i=0
	while [ "$i" -lt $((secs * 10)) ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	wait_for 10 sh -c "! kill -0 $1" || kill -9 "$1" 2>/dev/null
}

cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	# the terminal or pipe may be gone: clean up all the same
	trap '' PIPE
	[ -n "$D" ] || exit "$rc"
	echo
	say "stopping what the demo started"
	for d in gatewayd proxyd sandboxd policyd; do
		[ -f "$D/$d.pid" ] && stop_pid "$(cat "$D/$d.pid")"
	done
	for p in $pids; do
		stop_pid "$p"
	done
	if docker version >/dev/null 2>&1; then
		ids=$(docker ps -aq --filter "label=topsh.root=$D/workspaces")
		[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	fi
	for m in "$D"/workspaces/* "$D"/workspaces/.pool/*; do
		mountpoint -q "$m" 2>/dev/null && umount "$m"
	done
	if [ "$rc" -ne 0 ]; then
		for l in "$D"/log/*.log; do
			[ -s "$l" ] || continue
			echo "--- $l (last 15 lines)"
			tail -n 15 "$l"
		done
	fi
	if [ -n "$dockerd_pid" ]; then
		say "stopping the Docker engine it started"
		stop_pid "$dockerd_pid"
	fi
	for u in $made_users; do
		userdel "$u" 2>/dev/null
	done
	[ "$made_group" -eq 1 ] && groupdel docker 2>/dev/null
	if [ -n "$keep" ]; then
		say "kept $D"
	else
		rm -rf "$D"
		say "removed $D${made_users:+ and the users$made_users}"
	fi
	say "took $(( $(date +%s) - started ))s"
	exit "$rc"
}

# --- what the demo needs
[ "$(id -u)" -eq 0 ] || die "run as root (sudo make demo): like an \
installed system, the daemons start as root and drop to their own users"
for d in gatewayd proxyd policyd sandboxd topshctl; do
	[ -x "$BIN/$d" ] || die "$BIN/$d is missing: run \`make' first"
done
command -v node >/dev/null 2>&1 || die "node is not installed: run \`make deps'"
[ -d "$E2E/node_modules/telegram-test-api" ] &&
    [ -d "$E2E/node_modules/@copilotkit/aimock" ] ||
    die "the stand-ins are not installed: run \`make deps'"
command -v docker >/dev/null 2>&1 || die "docker is not installed: run \`make deps'"
llm_url=${TOPSH_DEMO_LLM_URL:-}
llm_model=${TOPSH_DEMO_LLM_MODEL:-}
if [ -n "$llm_url" ] && [ "$interactive" -eq 0 ]; then
	say "TOPSH_DEMO_LLM_URL is used only with INTERACTIVE=1; playing the script"
	llm_url=
fi
[ -z "$llm_url" ] || [ -n "$llm_model" ] ||
    die "TOPSH_DEMO_LLM_URL needs TOPSH_DEMO_LLM_MODEL (the model's name)"

D=$(mktemp -d /tmp/topsh-demo.XXXXXX) || die "cannot make a scratch directory"
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
chmod 0755 "$D"
mkdir -p "$D/etc" "$D/run" "$D/state" "$D/log" "$D/workspaces"
say "scratch directory $D"

# --- the daemons' users, as the package makes them (sysusers.d)
for u in $(awk '$1 == "u" { print $2 }' "$SRC/etc/sysusers.d/topsh.conf"); do
	id "$u" >/dev/null 2>&1 || made_users="$made_users $u"
done
getent group docker >/dev/null 2>&1 || made_group=1
if [ -n "$made_users" ] || [ "$made_group" -eq 1 ]; then
	if command -v systemd-sysusers >/dev/null 2>&1; then
		systemd-sysusers "$SRC/etc/sysusers.d/topsh.conf" ||
		    die "systemd-sysusers failed"
	else
		getent group docker >/dev/null || groupadd --system docker
		for u in $made_users; do
			useradd --system --no-create-home --home-dir /nonexistent \
			    --shell /usr/sbin/nologin "$u" || die "useradd $u failed"
		done
	fi
	say "created the users$made_users"
fi

# --- a Docker engine and the sandbox image
if ! docker version >/dev/null 2>&1; then
	say "starting a Docker engine (none answers)"
	dockerd --storage-driver=vfs --iptables=false --bridge=none \
	    >"$D/log/dockerd.log" 2>&1 &
	dockerd_pid=$!
	say "dockerd pid $dockerd_pid"
	wait_for 60 docker version || die "dockerd did not start"
fi
t0=$(date +%s)
image=$(sh "$SRC/etc/sandbox/build-debian-image.sh" -q | tail -n 1)
[ -n "$image" ] || die "the sandbox image could not be built"
say "sandbox image $image ($(( $(date +%s) - t0 ))s; kept for next time)"

# --- the stand-ins: Telegram, and the model unless a real one is named
tg_port=$(free_port)
node "$E2E/tgserver.js" "$tg_port" >"$D/log/telegram.log" 2>&1 &
pids="$pids $!"
say "Telegram stand-in on 127.0.0.1:$tg_port (pid $!)"
if [ -z "$llm_url" ]; then
	llm_port=$(free_port)
	node "$E2E/node_modules/@copilotkit/aimock/dist/cli.js" \
	    -p "$llm_port" -h 127.0.0.1 -f "${TOPSH_DEMO_FIXTURES:-$SRC/demo/fixtures}" --strict \
	    --log-level warn >"$D/log/model.log" 2>&1 &
	pids="$pids $!"
	say "model stand-in on 127.0.0.1:$llm_port (pid $!)"
	llm_url="http://127.0.0.1:$llm_port/v1"
	llm_model=topsh-demo-script
	wait_for 20 curl -sf "http://127.0.0.1:$llm_port/__aimock/journal" ||
	    die "the model stand-in did not start"
	export DEMO_LLM="$llm_port"
fi
wait_for 20 curl -sf "http://127.0.0.1:$tg_port/__journal" ||
    die "the Telegram stand-in did not start"

# --- the configuration: the shipped sample, rules and prompt, with the
# paths of the scratch directory and the stand-ins' addresses
cp "$SRC/etc/topsh.conf" "$D/etc/topsh.conf"
cp -R "$SRC/etc/policy" "$SRC/etc/prompts" "$D/etc/"
mkdir -m 0700 "$D/etc/secrets"
token="123456:DEMO-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$token" >"$D/etc/secrets/telegram_token"
printf '%s' "$llm_url" >"$D/etc/secrets/llm_base_url"
printf '%s' "${TOPSH_DEMO_LLM_KEY:-no-key-needed}" >"$D/etc/secrets/llm_api_key"
printf '%s' "no-search-in-the-demo" >"$D/etc/secrets/zai_api_key"
chmod 0600 "$D/etc/secrets"/*
q=$(printf '%s' "$llm_model" | sed 's/[\\"&|]/\\&/g')
sed -i \
    -e "s|^runtime-dir .*|runtime-dir \"$D/run\"|" \
    -e "s|^state-dir .*|state-dir \"$D/state\"|" \
    -e "s|^\([[:space:]]*\)audit-log .*|\1audit-log \"$D/log/audit.log\"|" \
    -e "s|^\([[:space:]]*\)workspace-root .*|\1workspace-root \"$D/workspaces\"|" \
    -e "s|^\([[:space:]]*\)image .*|\1image \"$image\"|" \
    -e "s|^\([[:space:]]*\)gdrive .*|\1gdrive no|" \
    -e "/^[[:space:]]*llm-model /d" \
    -e "s|^\([[:space:]]*\)access pairing|\1access pairing\n\1admins 4242|" \
    -e "s|^proxy {|proxy {\n\ttelegram-url \"http://127.0.0.1:$tg_port\"\n\tsearch-url \"http://127.0.0.1:9/search\"\n\tllm-model \"$q\"|" \
    "$D/etc/topsh.conf"
# who may talk to the bot: Alice (Telegram id 4242 in demo/chat.js),
# as an operator lists themselves, when the sample restricts access
if grep -q '^[[:space:]]*access ' "$D/etc/topsh.conf"; then
	sed -i "s|^\([[:space:]]*\)access \(.*\)|\1access \2\n\1allow-users 4242|" \
	    "$D/etc/topsh.conf"
fi
chmod 0644 "$D/etc/topsh.conf"
if grep -v '^[[:space:]]*#' "$D/etc/topsh.conf" |
    grep -q -e /run/topsh -e /var/lib/topsh -e /var/log/topsh; then
	die "the sample configuration has a path the demo does not move"
fi
for d in policyd sandboxd proxyd gatewayd; do
	"$BIN/$d" -n -f "$D/etc/topsh.conf" >"$D/log/check.log" 2>&1 ||
	    { cat "$D/log/check.log" >&2; die "$d refuses the configuration"; }
done

# --- the four daemons, as the units start them
for d in policyd sandboxd proxyd gatewayd; do
	"$BIN/$d" -d -f "$D/etc/topsh.conf" >"$D/log/$d.log" 2>&1 &
	echo $! >"$D/$d.pid"
done
up() {
	for d in policyd sandboxd proxyd gatewayd; do
		"$BIN/topshctl" -s "$D/run" status "$d" 2>/dev/null |
		    grep -q "^$d *up" || return 1
	done
}
wait_for 60 up || die "the daemons did not all come up"
say "policyd, sandboxd, proxyd and gatewayd are up, each as its own user:"
for d in policyd sandboxd proxyd gatewayd; do
	p=$(cat "$D/$d.pid")
	st=$(awk '$1 == "Seccomp:" { s = $2 } $1 == "NoNewPrivs:" { n = $2 }
	    END { printf "%s%s", s == 2 ? "seccomp filter" : "NO seccomp",
	    n == 1 ? ", no new privileges" : "" }' "/proc/$p/status")
	echo "      $d (pid $p) runs as $(ps -o user= -p "$p" | tr -d ' '), $st"
done
if [ -n "${DEMO_LLM:-}" ]; then
	say "the model is a script (demo/fixtures/demo.json)"
else
	say "the model is $llm_model at $llm_url"
fi

export E2E_T="$D" E2E_BIN="$BIN" E2E_TG="$tg_port" E2E_LLM="${DEMO_LLM:-0}" \
    E2E_TOKEN="$token" E2E_CONF="$D/etc/topsh.conf" DEMO_AUDIT="$D/log/audit.log"
if [ "$interactive" -eq 1 ]; then
	node "$SRC/demo/chat.js" --interactive
else
	node "$SRC/demo/chat.js"
fi
