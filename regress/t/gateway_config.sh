#!/bin/sh
# gateway_config.sh - the gateway { } section of topsh.conf: every key
# is documented (man/fragments/conf_gateway.mdoc) and printed back by
# -nvv, values round-trip, bad values are refused with file:line, and a
# reload with a bad system prompt keeps the running configuration.
. "$TOPSH_SRC/regress/t/lib.sh"

topsh_setup
G=$BIN/gatewayd
FRAG=$TOPSH_SRC/man/fragments/conf_gateway.mdoc
P=$TOPSH_SRC/etc/prompts/system.md

conf() {
	printf 'runtime-dir "%s/run"\nstate-dir "%s/state"\n' "$T" "$T"
	printf 'gateway {\n\tsystem-prompt "%s"\n%s\n}\n' "$P" "$1"
}

# every key documented, and every documented key known
conf "bot-username mybot
model test-model
admins 1
allow-users 2
allow-chats -3
user-limits \"4 tool-calls-per-day=5\"" >"$T/all.conf"
"$G" -nvv -f "$T/all.conf" >"$T/all.out" 2>&1
ok $? "the defaults with bot-username and model set are a valid config"
sed -n '/^gateway {/,/^}/p' "$T/all.out" | awk 'NF > 1 && $1 != "gateway" {print $1}' |
    sort >"$T/printed"
grep '^\.It Ic ' "$FRAG" | awk '{print $3}' | sort >"$T/documented"
[ "$(wc -l <"$T/printed")" -ge 40 ]
ok $? "-nvv prints all $(wc -l <"$T/printed") gateway keys"
diff -u "$T/documented" "$T/printed" >"$T/keys.diff"
ok $? "every key printed is documented and every documented key exists"
[ -s "$T/keys.diff" ] && sed 's/^/# /' "$T/keys.diff"

# the defaults the documentation states are the ones in force
awk '/^\.It Ic /{k=$3} /^The default is$/{getline; if ($1 == ".Cm" || $1 == ".Pa") {v=$2; sub(/[ .]*$/, "", v); print k, v}}' \
    "$FRAG" | grep -v "^system-prompt " | sort >"$T/doc-defaults"
sed -n '/^gateway {/,/^}/p' "$T/all.out" | awk 'NF == 2 {print $1, $2}' |
    sort >"$T/real-defaults"
bad=$(join "$T/doc-defaults" "$T/real-defaults" | awk '$2 != $3')
[ -z "$bad" ] && [ "$(wc -l <"$T/doc-defaults")" -ge 30 ]
ok $? "the documented defaults are the real ones ($(wc -l <"$T/doc-defaults") checked)"
[ -n "$bad" ] && echo "# $bad"

# values round-trip
conf "max-jobs 3
queue-per-user 0
rate-per-minute 0
group-reply-chance 2.5%
emoji-reactions no
thoughts yes
thought-interval-min 10m
thought-interval-max 2h
approval-timeout 90s
upload-max 1M
history-max 8K" >"$T/set.conf"
"$G" -nv -f "$T/set.conf" >"$T/set.out" 2>&1
ok $? "non-default values accepted"
for kv in "max-jobs 3" "queue-per-user 0" "rate-per-minute 0" \
    "group-reply-chance 2.5%" "emoji-reactions no" "thoughts yes" \
    "thought-interval-min 10m" "thought-interval-max 2h" \
    "approval-timeout 90s" "upload-max 1M" "history-max 8K"; do
	grep -q "^	$kv\$" "$T/set.out"
	ok $? "printed back: $kv"
done
sed -n '/configuration OK/!p' "$T/set.out" >"$T/set2.conf"
"$G" -nv -f "$T/set2.conf" | sed -n '/configuration OK/!p' >"$T/set2.out"
diff -u "$T/set2.conf" "$T/set2.out" >/dev/null
ok $? "the -nv output parses again to the same text"

# refusals
refused() {
	conf "$1" >"$T/bad.conf"
	"$G" -n -f "$T/bad.conf" >"$T/bad.out" 2>&1
	rc=$?
	[ "$rc" -ne 0 ] && grep -q "$2" "$T/bad.out"
	ok $? "refused: $1"
}
refused "group-reply-chance 150%" "bad.conf:5:"
refused "max-jobs 0" "bad.conf:5:"
refused "poll-timeout 1h" "bad.conf:5:"
refused "emoji-reactions maybe" "bad.conf:5:"
refused "no-such-key 1" "bad.conf:5:"
refused "thought-interval-min 2h
thought-interval-max 1h" "thought-interval-max"
printf 'gateway {\n\tsystem-prompt "%s/missing.md"\n}\n' "$T" >"$T/bad.conf"
"$G" -n -f "$T/bad.conf" >"$T/bad.out" 2>&1
[ $? -ne 0 ] && grep -q "missing.md" "$T/bad.out"
ok $? "refused: a system prompt that cannot be read"

# reload: a bad prompt is refused, the running configuration stays
conf "" >"$T/topsh.conf"
topsh_start gatewayd
topsh_wait_up gatewayd
ok $? "gatewayd runs alone (peers are retried in the background)"
conf "" | sed "s|$P|$T/gone.md|" >"$T/topsh.conf"
ctl reload gatewayd >"$T/reload.out" 2>&1
[ $? -ne 0 ] && grep -q "gone.md" "$T/reload.out"
ok $? "reload with a missing system prompt is refused with the reason"
topsh_alive gatewayd
ok $? "and gatewayd is still running"
conf "max-jobs 2" >"$T/topsh.conf"
ctl reload gatewayd >"$T/reload.out" 2>&1
ok $? "a good reload is accepted"
ctl -j status gatewayd 2>/dev/null | grep -q '"jobs_max": *2'
ok $? "and applied (max-jobs 2 in status)"

# a system prompt that is a symbolic link to a file elsewhere: read at
# start and again on reload, through the confinement
PD=$(mktemp -d /tmp/gw-prompt.XXXXXX)
chmod 0755 "$PD"
cp "$P" "$PD/system.md"
chmod 0644 "$PD/system.md"
ln -s "$PD/system.md" "$T/linked.md"
conf "" | sed "s|$P|$T/linked.md|" >"$T/topsh.conf"
topsh_stop gatewayd
topsh_start gatewayd
topsh_wait_up gatewayd
ok $? "gatewayd starts with a linked system prompt"
ctl reload gatewayd >"$T/reload.out" 2>&1
ok $? "and reloads it once confined"
rm -rf "$PD"

done_testing
