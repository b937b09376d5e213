#!/bin/sh
# install.sh - make install puts binaries, manual pages, the shipped
# rules, prompt and sample under DATADIR, creates what the operator
# edits (topsh.conf, policy/local.rules, secrets/ 0700) once and never
# overwrites it, follows PREFIX in the units, and make uninstall takes
# back what it installed and keeps the operator's files.  A shipped rule
# is switched off by name from local.rules.
. "$TOPSH_SRC/regress/t/lib.sh"
D=$(mktemp -d /tmp/topsh-install.XXXXXX)
trap 'rm -rf "$D" "$D.log"' EXIT
make -s -C "$TOPSH_SRC" install DESTDIR="$D" >"$D.log" 2>&1
ok $? "make install DESTDIR=... succeeds"
sed 's/^/#   /' "$D.log" | tail -n 20
for b in gatewayd proxyd policyd sandboxd topshctl; do
	[ -x "$D/usr/local/sbin/$b" ]
	ok $? "sbin/$b installed"
done
for m in man8/gatewayd.8 man8/proxyd.8 man8/policyd.8 man8/sandboxd.8 \
    man8/topshctl.8 man5/topsh.conf.5 man5/topsh-policy.5; do
	[ -f "$D/usr/local/share/man/$m" ]
	ok $? "$m installed"
done
[ -f "$D/etc/topsh/topsh.conf.sample" ] && [ -f "$D/etc/topsh/topsh.conf" ]
ok $? "sample configuration installed, and as topsh.conf"
n=$(ls "$D/usr/local/share/topsh/policy/" 2>/dev/null | wc -l)
[ "$n" -gt 0 ]
ok $? "shipped policy rules installed under share/topsh ($n files)"
[ -f "$D/usr/local/share/topsh/prompts/system.md" ]
ok $? "shipped prompt installed under share/topsh"
[ -f "$D/etc/topsh/policy/local.rules" ]
ok $? "policy/local.rules created for the operator"
[ "$(stat -c %a "$D/etc/topsh/secrets")" = 700 ]
ok $? "secrets directory is mode 0700"
grep -q '^[[:space:]]*llm-model [a-z]' "$D/etc/topsh/topsh.conf"
ok $? "the sample sets llm-model"
for u in topsh.target topsh-gatewayd.service topsh-proxyd.service \
    topsh-policyd.service topsh-sandboxd.service; do
	[ -f "$D/usr/local/lib/systemd/system/$u" ]
	ok $? "systemd unit $u installed"
done
[ -f "$D/usr/local/lib/sysusers.d/topsh.conf" ] &&
    [ -f "$D/usr/local/lib/tmpfiles.d/topsh.conf" ]
ok $? "sysusers.d and tmpfiles.d installed"
[ -f "$D/etc/logrotate.d/topsh" ] && [ -x "$D/etc/init.d/topsh" ]
ok $? "logrotate file and rc script installed"

# the operator edits; a second install keeps every edit
echo "# edited by the operator" >>"$D/etc/topsh/topsh.conf"
echo "# mine" >>"$D/etc/topsh/policy/local.rules"
echo "secret" >"$D/etc/topsh/secrets/telegram_token"
make -s -C "$TOPSH_SRC" install DESTDIR="$D" >"$D.log" 2>&1
ok $? "make install again succeeds"
grep -q "edited by the operator" "$D/etc/topsh/topsh.conf"
ok $? "an edited topsh.conf is not overwritten"
grep -q "# mine" "$D/etc/topsh/policy/local.rules"
ok $? "an edited local.rules is not overwritten"
[ -f "$D/etc/topsh/secrets/telegram_token" ]
ok $? "the secrets stay"

make -s -C "$TOPSH_SRC" uninstall DESTDIR="$D" >"$D.log" 2>&1
ok $? "make uninstall succeeds"
left=$(cd "$D" && find . -type f | sort | tr '\n' ' ')
[ "$left" = "./etc/topsh/policy/local.rules ./etc/topsh/secrets/telegram_token ./etc/topsh/topsh.conf " ]
ok $? "make uninstall leaves only the operator's files (left: $left)"
rm -rf "$D"/*

# PREFIX=/usr: units name /usr/sbin; a real install tree under $D
# (absolute paths resolve), checked by the installed policyd
make -s -C "$TOPSH_SRC" install PREFIX="$D/usr" SYSCONFDIR="$D/etc" \
    POSTINST=no >"$D.log" 2>&1
ok $? "make install PREFIX=... SYSCONFDIR=... succeeds"
grep -q "^ExecStart=$D/usr/sbin/policyd -d -f $D/etc/topsh/topsh.conf" \
    "$D/usr/lib/systemd/system/topsh-policyd.service"
ok $? "the units follow PREFIX and SYSCONFDIR"
grep -q "^SBIN=$D/usr/sbin" "$D/etc/init.d/topsh"
ok $? "the rc script follows PREFIX"
for d in gatewayd policyd proxyd sandboxd; do
	"$D/usr/sbin/$d" -n -f "$D/etc/topsh/topsh.conf" >"$D.log" 2>&1
	ok $? "the installed $d accepts the installed configuration"
done
echo 'disable procfs-environ' >>"$D/etc/topsh/policy/local.rules"
"$D/usr/sbin/policyd" -n -f "$D/etc/topsh/topsh.conf" >"$D.log" 2>&1
ok $? "local.rules may disable a shipped rule by name"
echo 'cat /proc/self/environ' | "$D/usr/sbin/policyd" -t \
    -f "$D/usr/share/topsh/policy/default.rules" >"$D.log" 2>&1
grep -q '"rule":"procfs-environ"' "$D.log"
ok $? "without it the rule is there"
printf 'include "%s"\ndisable procfs-environ\n' \
    "$D/usr/share/topsh/policy/default.rules" >"$D/t.rules"
echo 'cat /proc/self/environ' | "$D/usr/sbin/policyd" -t -f "$D/t.rules" \
    >"$D.log" 2>&1
! grep -q '"rule":"procfs-environ"' "$D.log"
ok $? "disabled, the rule no longer decides"
echo 'disable procfs-envirn' >>"$D/etc/topsh/policy/local.rules"
"$D/usr/sbin/policyd" -n -f "$D/etc/topsh/topsh.conf" >"$D.log" 2>&1
[ $? -ne 0 ] && grep -q 'local.rules:[0-9]*: disable: no rule named "procfs-envirn"' "$D.log"
ok $? "disabling a rule that does not exist is an error naming file and line"
done_testing
