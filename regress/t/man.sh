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

# fragments kept verbatim in a page: the page holds every line of the
# fragment (comments aside) as one block
for pair in dlp.mdoc:proxyd.8 conf_proxy.mdoc:topsh.conf.5; do
	frag=$TOPSH_SRC/man/fragments/${pair%%:*}
	page=$TOPSH_SRC/man/${pair#*:}
	awk 'NR == FNR { if ($0 !~ /^\.\\"/) f[n++] = $0; next }
	    k < n { k = ($0 == f[k]) ? k + 1 : ($0 == f[0]) ? 1 : 0 }
	    END { exit !(n > 0 && k == n) }' "$frag" "$page"
	ok $? "man/${pair#*:} holds man/fragments/${pair%%:*} as it is"
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
