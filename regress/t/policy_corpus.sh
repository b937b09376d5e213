#!/bin/sh
# policy_corpus.sh - the attack and everyday corpora through policyd -t
# against the shipped rules: every attack command must be denied or
# held by its expected rule, every everyday command allowed.  Reports
# both rates.

: "${TOPSH_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TOPSH_BUILD:=$TOPSH_SRC/build-san}"
P=$TOPSH_BUILD/bin/policyd
RULES=$TOPSH_SRC/etc/policy/default.rules
CORPUS=$TOPSH_SRC/regress/policy
n=0
failed=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

tap() {
	n=$((n + 1))
	if [ "$1" = ok ]; then
		printf 'ok %d - %s\n' "$n" "$2"
	else
		printf 'not ok %d - %s\n' "$n" "$2"
		failed=$((failed + 1))
	fi
}

# attack: "RULE<TAB>command"
grep -v '^#' "$CORPUS/attack.txt" | grep -v '^$' >"$T/attack"
cut -f1 "$T/attack" >"$T/attack.want"
cut -f2- "$T/attack" >"$T/attack.in"
"$P" -t -f "$RULES" <"$T/attack.in" >"$T/attack.out"
jq -r '[.decision, (.rule // "-")] | @tsv' "$T/attack.out" >"$T/attack.got"
total=$(wc -l <"$T/attack.in")
[ "$(wc -l <"$T/attack.got")" -eq "$total" ]
[ $? -eq 0 ] && tap ok "policyd -t answered $total attack lines" ||
    tap fail "policyd -t answered $(wc -l <"$T/attack.got") of $total lines"
held=0
i=0
paste "$T/attack.want" "$T/attack.got" >"$T/attack.cmp"
while IFS="$(printf '\t')" read -r want decision got; do
	i=$((i + 1))
	cmd=$(sed -n "${i}p" "$T/attack.in")
	if [ "$decision" != allow ] && [ "$want" = "$got" ]; then
		held=$((held + 1))
		tap ok "attack $i denied/held by $got: $cmd"
	else
		tap fail "attack $i: $decision by $got, expected $want: $cmd"
	fi
done <"$T/attack.cmp"

grep -v '^#' "$CORPUS/everyday.txt" | grep -v '^$' >"$T/every.in"
"$P" -t -f "$RULES" <"$T/every.in" >"$T/every.out"
jq -r '[.decision, (.rule // "-")] | @tsv' "$T/every.out" >"$T/every.got"
etotal=$(wc -l <"$T/every.in")
allowed=0
i=0
while IFS="$(printf '\t')" read -r decision got; do
	i=$((i + 1))
	cmd=$(sed -n "${i}p" "$T/every.in")
	if [ "$decision" = allow ]; then
		allowed=$((allowed + 1))
		tap ok "everyday $i allowed: $cmd"
	else
		tap fail "everyday $i: $decision by $got: $cmd"
	fi
done <"$T/every.got"
[ "$i" -eq "$etotal" ] && tap ok "policyd -t answered $etotal everyday lines" ||
    tap fail "policyd -t answered $i of $etotal everyday lines"
[ "$total" -ge 200 ] && [ "$etotal" -ge 200 ] &&
    tap ok "both corpora hold at least 200 commands" ||
    tap fail "corpora too small: $total attack, $etotal everyday"

echo "# attack corpus: $held of $total denied or held as expected" \
    "($((held * 100 / total))%)"
echo "# everyday corpus: $allowed of $etotal allowed ($((allowed * 100 / etotal))%)"
[ "$failed" -eq 0 ]
