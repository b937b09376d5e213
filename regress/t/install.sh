#!/bin/sh
# install.sh - make install DESTDIR=... puts binaries, manual pages,
# sample configuration, rules and systemd units in place, and the
# installed daemons accept the installed sample configuration.
. "$TOPSH_SRC/regress/t/lib.sh"
D=$(mktemp -d /tmp/topsh-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
make -s -C "$TOPSH_SRC" install DESTDIR="$D" >"$D.log" 2>&1
ok $? "make install DESTDIR=... succeeds"
sed 's/^/#   /' "$D.log" | tail -n 20
rm -f "$D.log"
for b in gatewayd proxyd policyd sandboxd topshctl; do
	[ -x "$D/usr/local/sbin/$b" ]
	ok $? "sbin/$b installed"
done
for m in man8/gatewayd.8 man8/proxyd.8 man8/policyd.8 man8/sandboxd.8 \
    man8/topshctl.8 man5/topsh.conf.5 man5/topsh-policy.5; do
	[ -f "$D/usr/local/share/man/$m" ]
	ok $? "$m installed"
done
[ -f "$D/etc/topsh/topsh.conf.sample" ]
ok $? "sample configuration installed"
n=$(ls "$D/etc/topsh/policy/" 2>/dev/null | wc -l)
[ "$n" -gt 0 ]
ok $? "policy rules installed ($n files)"
for u in topsh.target topsh-gatewayd.service topsh-proxyd.service \
    topsh-policyd.service topsh-sandboxd.service; do
	[ -f "$D/lib/systemd/system/$u" ]
	ok $? "systemd unit $u installed"
done
"$D/usr/local/sbin/gatewayd" -n -f "$D/etc/topsh/topsh.conf.sample" \
    >/dev/null 2>&1
ok $? "the installed gatewayd accepts the installed sample configuration"
done_testing
