#!/bin/sh
# sandbox_creating.sh - max-creating (issue 16): how many containers
# sandboxd creates at once, on its own and no longer max-jobs (the model
# calls in flight, gatewayd's).  With max-creating 1 and max-jobs 1000,
# three new users asking at once get their containers one after the
# other: the engine's events show each container started before the next
# one is created.  All three commands run.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

SBX_CONF='	disk-quota 0
	max-creating 1
}
gateway {
	max-jobs 1000'
sbx_setup
grep -q "max-jobs 1000" "$T/topsh.conf"
ok $? "the configuration has max-creating 1 and max-jobs 1000"

since=$(date +%s)
for u in 801 802 803; do
	topsh_vouch "$u"
	req="{\"user\":$u,\"command\":\"echo u$u\"}"
	runuser -u topsh-gateway -- "$TOOLS/sbxclient" \
	    "$T/run/sandboxd.sock" exec "$req" >"$T/$u.out" 2>&1 &
	eval "p$u=\$!"
done
for u in 801 802 803; do
	eval "wait \$p$u"
	grep -q "\"stdout\":\"u$u\\\\n\"" "$T/$u.out"
	ok $? "user $u's first command ran in a new container"
done

# create and start of our containers, in the engine's order
sleep 1
docker events --since "$since" --until "$(date +%s)" \
    --filter "label=topsh.root=$T/workspaces" --filter type=container \
    --format '{{.Action}} {{index .Actor.Attributes "topsh.user"}}' \
    2>&1 | grep -E '^(create|start) ' >"$T/events"
sed 's/^/# /' "$T/events"
[ "$(grep -c '^create ' "$T/events")" -eq 3 ] &&
    [ "$(grep -c '^start ' "$T/events")" -eq 3 ]
ok $? "the engine saw three containers created and started"
# one at a time: create, start, create, start ...
awk '{ want = (NR % 2) ? "create" : "start"; if ($1 != want) bad = 1
    if (NR % 2 == 0 && $2 != u) bad = 1; u = $2 }
    END { exit bad || NR != 6 }' "$T/events"
ok $? "each container was started before the next one was created"
