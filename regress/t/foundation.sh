#!/bin/sh
# foundation.sh - the four daemons start from a temporary runtime
# directory, talk to each other, answer topshctl, refuse strangers and
# bad frames without dying, drop privileges, reload, and reconnect after
# one of them is killed.
. "$TOPSH_SRC/regress/t/lib.sh"
topsh_setup

DAEMONS="policyd sandboxd proxyd gatewayd"
for d in $DAEMONS; do
	topsh_start "$d"
done
topsh_wait_up $DAEMONS
ok $? "all four daemons report up"

peers_of() {
	ctl -j status "$1" | tr ',' '\n' | grep -c "\"name\":\"$2\""
}
gw_linked() {
	ctl status gatewayd | grep -q "proxyd(out)" &&
	ctl status gatewayd | grep -q "sandboxd(out)" &&
	! ctl status gatewayd | grep -q ",down"
}
wait_for 15 gw_linked
ok $? "gatewayd is connected to proxyd and sandboxd"
pol_linked() {
	ctl status policyd | grep -q "sandboxd(in)" &&
	ctl status policyd | grep -q "proxyd(in)"
}
wait_for 15 pol_linked
ok $? "policyd lists sandboxd and proxyd, which ask it before acting"
ctl status >"$T/status.out"
! grep -q " down" "$T/status.out"
ok $? "topshctl status shows no daemon down"
for d in $DAEMONS; do
	pid=$(topsh_pid "$d")
	grep -q "^$d *up *pid $pid " "$T/status.out"
	ok $? "status shows $d up with pid $pid"
done
grep -q "uptime [0-9]*:[0-9][0-9]:[0-9][0-9]" "$T/status.out"
ok $? "status shows uptime"

# privileges and confinement, read from the kernel
for d in $DAEMONS; do
	pid=$(topsh_pid "$d")
	st=/proc/$pid/status
	if [ "$(id -u)" -eq 0 ]; then
		case $d in
		gatewayd) u=topsh-gateway ;; proxyd) u=topsh-proxy ;;
		policyd) u=topsh-policy ;; sandboxd) u=topsh-sandbox ;;
		esac
		uid=$(id -u "$u")
		awk -v u="$uid" '/^Uid:/ { exit !($2 == u && $3 == u && $4 == u && $5 == u) }' "$st"
		ok $? "$d runs as $u (real, effective, saved, fs uid)"
	else
		ok 1 "$d's own uid: needs root (run make check as root, as CI does)"
	fi
	grep -q "^Seccomp:[[:space:]]*2" "$st"
	ok $? "$d has a seccomp filter"
	grep -q "^NoNewPrivs:[[:space:]]*1" "$st"
	ok $? "$d has no_new_privs"
	if [ "$d" = sandboxd ] && [ "$(id -u)" -eq 0 ]; then
		# CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER: workspaces owned
		# by each user's own uid (sandboxd(8)); nothing else
		grep -q "^CapEff:[[:space:]]*000000000000000b" "$st"
		ok $? "$d keeps only CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER"
	else
		grep -q "^CapEff:[[:space:]]*0000000000000000" "$st"
		ok $? "$d has no effective capabilities"
	fi
done

# strangers and bad frames
SOCK=$T/run/policyd.sock
if [ "$(id -u)" -eq 0 ]; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$TOOLS/peerprobe" "$SOCK" hello gatewayd 2>&1)
	[ "$out" = "closed" ]
	ok $? "policyd refuses a stranger's uid (got: $out)"
	grep -q "refusing peer connection from uid 65534" "$T/policyd.log"
	ok $? "the refusal is logged with the uid"
	out=$(setpriv --reuid=topsh-gateway --regid=topsh-gateway \
	    --clear-groups "$TOOLS/peerprobe" "$SOCK" hello sandboxd 2>&1)
	[ "$out" = "closed" ]
	ok $? "gatewayd's uid cannot claim to be sandboxd (got: $out)"
	out=$(setpriv --reuid=topsh-gateway --regid=topsh-gateway \
	    --clear-groups "$TOOLS/peerprobe" "$T/run/proxyd.sock" hello \
	    gatewayd 2>&1)
	[ "$out" = "accepted
open" ]
	ok $? "proxyd accepts gatewayd's uid (got: $out)"
	out=$(setpriv --reuid=topsh-sandbox --regid=topsh-sandbox \
	    --clear-groups "$TOOLS/peerprobe" "$T/run/proxyd.sock" hello \
	    sandboxd 2>&1)
	[ "$out" = "closed" ]
	ok $? "proxyd refuses sandboxd (only gatewayd may talk to it)"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$BIN/topshctl" -s "$T/run" status policyd 2>&1)
	# policyd is up (root's status says so): the file mode kept them out
	# (topshctl says so: "permission denied", not "down")
	echo "$out" | grep -q "policyd *permission denied" && topsh_is_up policyd
	ok $? "a non-root user cannot use the control socket (while policyd is up)"
	m=$(stat -c %a "$T/run/policyd.ctl")
	[ "$m" = 600 ]
	ok $? "the control socket is mode 0600 ($m)"
	# and behind the file mode, SO_PEERCRED: open the socket to all
	chmod 0666 "$T/run/policyd.ctl"
	for u in 65534 topsh-gateway; do
		out=$(setpriv --reuid=$u --regid=$u --clear-groups \
		    "$BIN/topshctl" -s "$T/run" status policyd 2>&1)
		uid=$(id -u "$u" 2>/dev/null || echo "$u")
		! echo "$out" | grep -q "policyd *up" &&
		    wait_for 5 grep -q "refusing control connection from uid $uid" \
		    "$T/policyd.log"
		ok $? "a socket open to all still refuses uid $u (SO_PEERCRED), logged"
	done
	chmod 0600 "$T/run/policyd.ctl"
	AS_GW="setpriv --reuid=topsh-gateway --regid=topsh-gateway --clear-groups"
else
	# these are uid checks: they need processes under other uids
	ok 1 "peer and control socket uid checks: need root (run make check as root, as CI does)"
	AS_GW=""
fi
out=$($AS_GW "$TOOLS/peerprobe" "$SOCK" garbage)
[ "$out" = "closed" ]
ok $? "a frame shorter than its header closes the connection"
out=$($AS_GW "$TOOLS/peerprobe" "$SOCK" oversize)
[ "$out" = "closed" ]
ok $? "an oversized frame closes the connection"
out=$($AS_GW "$TOOLS/peerprobe" "$SOCK" unknown gatewayd)
[ "$out" = "accepted
closed" ]
ok $? "an unknown message type closes the connection (got: $out)"
$AS_GW "$TOOLS/peerprobe" "$SOCK" split gatewayd >/dev/null
grep -q "malformed or oversized frame\|malformed frame" "$T/policyd.log"
ok $? "bad frames are logged"
grep -q "bad or unexpected message type 9999" "$T/policyd.log"
ok $? "the unknown type is logged"
topsh_alive policyd
ok $? "policyd survived every bad frame"
topsh_is_up policyd
ok $? "policyd still answers topshctl"

# log verbosity
ctl log verbose policyd | grep -q "policyd: ok"
ok $? "topshctl log verbose"
ctl -j status policyd | grep -q '"verbose":2'
ok $? "verbosity is now 2"
ctl log brief | grep -c ": ok" | grep -q 4
ok $? "topshctl log brief reaches all four"

# reload: good, then broken (refused, old config stays)
ctl reload >"$T/reload.out" 2>&1
ok $? "topshctl reload succeeds"
[ "$(grep -c 'configuration reloaded' "$T/reload.out")" -eq 4 ]
ok $? "all four reloaded"
cp "$T/topsh.conf" "$T/topsh.conf.good"
printf 'gateway {\n\tmax-jobs lots\n}\nnonsense 1\n' >>"$T/topsh.conf"
ctl reload gatewayd >"$T/reload.out" 2>&1
[ $? -ne 0 ]
ok $? "reload of a broken file fails"
grep -q "topsh.conf:[0-9]*: max-jobs: \"lots\" is not a number" "$T/reload.out"
ok $? "the error names file and line"
grep -q "topsh.conf:[0-9]*: unknown keyword \"nonsense\"" "$T/reload.out"
ok $? "every error is listed"
topsh_is_up gatewayd
ok $? "gatewayd still runs on the old configuration"
cp "$T/topsh.conf.good" "$T/topsh.conf"
kill -HUP "$(topsh_pid policyd)"
wait_for 5 grep -q "configuration reloaded" "$T/policyd.log"
ok $? "SIGHUP reloads"

# kill one with SIGKILL: the others notice, retry, reconnect
topsh_kill policyd
wait_for 10 sh -c "'$BIN/topshctl' -s '$T/run' status policyd | grep -q 'policyd *down'"
ok $? "status shows policyd down after SIGKILL"
wait_for 10 grep -q "lost connection to policyd" "$T/sandboxd.log"
ok $? "sandboxd logs the lost connection"
topsh_start policyd
topsh_wait_up policyd
ok $? "policyd restarts on its stale socket"
for d in sandboxd proxyd; do
	wait_for 20 grep -q "reconnected to policyd" "$T/$d.log"
	ok $? "$d reconnects to the restarted policyd"
done
wait_for 20 pol_linked
ok $? "the new policyd sees sandboxd and proxyd again"
topsh_kill sandboxd
wait_for 10 grep -q "lost connection to sandboxd" "$T/gatewayd.log"
ok $? "gatewayd notices sandboxd was killed"
topsh_start sandboxd
topsh_wait_up sandboxd
wait_for 20 grep -q "reconnected to sandboxd" "$T/gatewayd.log"
ok $? "gatewayd reconnects to the restarted sandboxd"
wait_for 20 gw_linked
ok $? "status shows gatewayd linked to sandboxd again"

# a second instance must not steal the sockets
"$BIN/policyd" -d -f "$T/topsh.conf" >"$T/second.log" 2>&1
[ $? -ne 0 ] && grep -q "already running" "$T/second.log"
ok $? "a second policyd refuses to start"

# -n and -nv
"$BIN/gatewayd" -n -f "$T/topsh.conf" | grep -q "configuration OK"
ok $? "gatewayd -n says configuration OK"
"$BIN/sandboxd" -nv -f "$T/topsh.conf" | grep -q "^sandbox {"
ok $? "sandboxd -nv prints the configuration"

for d in $DAEMONS; do
	topsh_stop "$d"
done
[ ! -e "$T/run/gatewayd.ctl" ] || [ "$(id -u)" -eq 0 ]
ok $? "sockets are cleaned up or left for the next start"
done_testing
