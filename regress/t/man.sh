#!/bin/sh
# man.sh - every manual page exists and is mandoc -Tlint -Wwarning clean;
# the EXAMPLES configuration in topsh.conf.5 parses.
. "$TOPSH_SRC/regress/t/lib.sh"

for page in gatewayd.8 proxyd.8 policyd.8 sandboxd.8 topshctl.8 \
    topsh.conf.5 topsh-policy.5; do
	f=$TOPSH_SRC/man/$page
	[ -f "$f" ]
	ok $? "man/$page exists"
	[ -f "$f" ] || continue
	out=$(mandoc -Tlint -Wwarning "$f" 2>&1)
	[ -z "$out" ]
	ok $? "man/$page is mandoc -Tlint -Wwarning clean"
	[ -z "$out" ] || echo "$out" | sed 's/^/#   /'
done

# the example configuration in topsh.conf(5) must be accepted
T=$(mktemp -d /tmp/topsh-man.XXXXXX)
awk '/^\.Sh EXAMPLES/ { ex = 1 } ex && /^\.Bd -literal/ { inb = 1; next }
    inb && /^\.Ed/ { exit } inb { print }' "$TOPSH_SRC/man/topsh.conf.5" |
    sed 's/\\e/\\/g; s/^\\&//' >"$T/example.conf"
[ -s "$T/example.conf" ]
ok $? "topsh.conf.5 has an example configuration"
"$TOOLS/confcheck" "$T/example.conf" >"$T/out" 2>&1
ok $? "the topsh.conf.5 example parses"
sed 's/^/#   /' "$T/out"
rm -rf "$T"
done_testing
