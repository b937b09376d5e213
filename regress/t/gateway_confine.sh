#!/bin/sh
# gateway_confine.sh - what gatewayd can no longer do once confined:
# no inet sockets (AF_UNIX only), no exec, no files outside its state
# directory, the configuration read-only.  gatewayd tries each itself
# when TOPSH_GATEWAY_SELFTEST is set (see gatewayd(8)).
. "$TOPSH_SRC/regress/t/lib.sh"

topsh_setup

probe() {
	TOPSH_GATEWAY_SELFTEST=$1 "$BIN/gatewayd" -d -f "$T/topsh.conf" \
	    >"$T/probe-$1.log" 2>&1
	echo $?
}

has() {
	grep -q "$2" "$T/probe-$1.log"
	ok $? "$3"
}

hasnt() {
	! grep -q "$2" "$T/probe-$1.log"
	ok $? "$3"
}

rc=$(probe inet)
[ "$rc" -eq 0 ]
ok $? "inet probe ran to the end (status $rc)"
has inet "selftest inet socket: refused" "an AF_INET socket is refused"
has inet "selftest inet6 socket: refused" "an AF_INET6 socket is refused"
has inet "selftest unix socket: allowed" "AF_UNIX sockets still work"

# a configuration directory anyone may write to: only Landlock can
# refuse the probe's file there
chmod 0777 "$T"
rc=$(probe files)
chmod 0755 "$T"
[ "$rc" -eq 0 ]
ok $? "files probe ran to the end (status $rc)"
has files "read /etc/passwd: refused" "/etc/passwd cannot be read (Landlock)"
has files "create in the config directory: refused" \
    "nothing can be created in the configuration directory"
has files "create in the state directory: allowed" \
    "the state directory stays writable"
has files "read the configuration: allowed" \
    "the configuration stays readable for reload"

rc=$(probe exec)
[ "$rc" -ne 0 ]
ok $? "exec probe: the process was stopped (status $rc)"
has exec "selftest exec: trying" "exec probe reached the attempt"
hasnt exec "selftest exec: ALLOWED" "execve did not succeed"
hasnt exec "selftest exec: refused" "execve did not even return"

TOPSH_SECCOMP_DEBUG=1 TOPSH_GATEWAY_SELFTEST=exec "$BIN/gatewayd" -d \
    -f "$T/topsh.conf" >"$T/probe-execdbg.log" 2>&1
grep -q "forbidden system call" "$T/probe-execdbg.log"
ok $? "with TOPSH_SECCOMP_DEBUG=1 the forbidden system call is named"

done_testing
