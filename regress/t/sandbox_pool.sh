#!/bin/sh
# sandbox_pool.sh - the warm pool (issue 16): sandboxd keeps started
# containers for brand-new users.  A new user's command runs in one of
# them as the user's own uid, whoami and $USER name the user, /workspace
# is the user's workspace on the host; the pool is filled again; two new
# users never share a slot; a taken container is found again after a
# restart (by its name), the earlier run's unused ones are removed; one
# that stopped is replaced, never started again; a broken slot is
# destroyed and the user gets an ordinary container; a fork bomb in a
# taken one leaves the user's files in place; warm-pool 0 (after a
# reload) empties the pool and new users get ordinary containers.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

[ "$(id -u)" -eq 0 ] || { echo "not ok 1 - needs root (per-user uids)"; exit 1; }
TOPSH_WARM_POOL=""
SBX_CONF="	uid-range 1310000:1310099
	warm-pool 2"
sbx_setup

W=$T/workspaces
status_has() {
	ctl -j status sandboxd 2>/dev/null | grep -q "$1"
}
pool_ids() {
	docker ps -q --no-trunc --filter "label=topsh.root=$W" \
	    --filter "label=topsh.pool" --filter "name=-pool-" | sort
}

wait_for 60 status_has '"warm_pool":2'
ok $? "the pool fills with 2 started containers"
[ "$(pool_ids | wc -l)" -eq 2 ]
ok $? "docker shows the 2 pool containers"
before=$(pool_ids)

cmd='echo who=$(whoami) user=$USER logname=$LOGNAME uid=$(id -u) home=$HOME; echo mine >/workspace/hello; ls -a /workspace'
gw exec "{\"user\":801,\"name\":\"Bea Pool\",\"command\":\"$cmd\"}"
has 'who=u801 user=u801 logname=u801 uid=131000[0-9] home=/workspace' "user 801: whoami, USER and LOGNAME name the user"
hasnt 'hello.*hello' "user 801: /workspace held nothing before"
uid801=$(sed -n 's/^801 //p' "$T/state/sandboxd/uids")
printf '%s' "$OUT" | grep -q "uid=$uid801 "
ok $? "user 801 runs as the uid bound to it in STATE-DIR/sandboxd/uids ($uid801)"
grep -q "user 801: container .* from the warm pool" "$T/sandboxd.log"
ok $? "user 801 got a pool container"
c801=$(sbx_cid 801)
printf '%s\n' "$before" | grep -q "^$c801\$"
ok $? "it is one of the pool's started containers"
wait_for 10 sh -c "docker inspect -f '{{.Name}}' $c801 | grep -q -- '-801\$'"
ok $? "the container is renamed after the user"
[ "$(cat "$W/801/ws/hello" 2>/dev/null)" = mine ] &&
    [ "$(stat -c %u "$W/801/ws/hello")" = "$uid801" ]
ok $? "/workspace is the user's workspace on the host, owned by the user's uid"
grep -q "name = Bea Pool" "$W/801/ws/.gitconfig" 2>/dev/null
ok $? "the default .gitconfig names the user"
gw exec '{"user":801,"command":"grep ^u801: /etc/passwd"}'
has "u801:x:$uid801:$uid801:Bea Pool:/workspace" "the container's passwd names the user"

wait_for 60 status_has '"warm_pool":2'
ok $? "the pool is filled again"
status_has '"warm_pool_taken":1'
ok $? "status counts the container taken"

gw exec '{"user":802,"name":"Cy","command":"echo who=$(whoami) uid=$(id -u); ls /workspace"}'
has 'who=u802 uid=131000[0-9]' "user 802 gets a container too"
hasnt 'hello' "user 802 does not see user 801's files"
c802=$(sbx_cid 802)
uid802=$(sed -n 's/^802 //p' "$T/state/sandboxd/uids")
[ -n "$c802" ] && [ "$c802" != "$c801" ] && [ -n "$uid802" ] &&
    [ "$uid802" != "$uid801" ]
ok $? "two new users never share a slot (containers and uids differ)"
grep -q "user 802: container .* from the warm pool" "$T/sandboxd.log"
ok $? "user 802 got a pool container"

# a restart: the taken container is adopted by its name, the unused
# ones of the earlier run go, and the pool is made anew
wait_for 60 status_has '"warm_pool":2'
old=$(pool_ids)
topsh_stop sandboxd
topsh_start sandboxd -v
topsh_wait_up sandboxd
wait_for 10 sh -c "ctl status sandboxd 2>/dev/null | grep -q policyd"
gw exec '{"user":801,"command":"cat hello; whoami"}'
has '"stdout":"mine\\nu801\\n"' "after a restart user 801's command runs"
[ "$(sbx_cid 801)" = "$c801" ]
ok $? "in the same container, adopted by its name"
wait_for 60 status_has '"warm_pool":2'
ok $? "the pool is filled again after the restart"
gone=1
for id in $old; do
	docker inspect "$id" >/dev/null 2>&1 && gone=0
done
[ "$gone" -eq 1 ]
ok $? "the earlier run's unused pool containers are removed"
wait_for 10 sh -c "[ \$(ls '$W/.pool' | grep -vc '\.img\$') -eq 2 ]"
ok $? "only the new slots' workspaces are left in .pool"

# a container from the pool that stopped is replaced, not restarted
docker kill "$c801" >/dev/null 2>&1
gw exec '{"user":801,"command":"cat hello; whoami"}'
has '"stdout":"mine\\nu801\\n"' "after its container stopped user 801's command runs"
n801=$(sbx_cid 801)
[ -n "$n801" ] && [ "$n801" != "$c801" ] &&
    ! docker inspect "$c801" >/dev/null 2>&1
ok $? "in a new container; the stopped one is removed"

# broken slots: their workspaces vanish behind sandboxd's back
for d in "$W"/.pool/*; do
	case $d in *.img) continue ;; esac
	mountpoint -q "$d" && umount "$d"
	rm -rf "$d"
done
gw exec '{"user":803,"command":"whoami; ls /workspace"}'
has '"stdout":"u803\\n"' "with broken slots a new user's command still runs"
grep -q "user 803: warm pool slot .*creating a container instead" \
    "$T/sandboxd.log"
ok $? "the broken slot is given up"
docker ps -q --filter "label=topsh.user=803" | grep -q .
ok $? "user 803 has an ordinary container"
wait_for 60 status_has '"warm_pool":2'
ok $? "the pool is made anew"

# a fork bomb in a container from the pool: the killer's last resort
# (under gVisor the bomb often takes the sandbox down) must not start it
# again with the slot's mounts; the next command has the user's files
gw exec '{"user":805,"command":"echo kept >kept"}'
c805=$(sbx_cid 805)
slot=$(docker inspect -f '{{range .Mounts}}{{.Source}} {{end}}' "$c805" |
    tr ' ' '\n' | grep "^$W/\.pool/" | head -n 1)
[ -n "$slot" ] && [ ! -e "$slot" ]
ok $? "user 805 took a slot of the pool ($slot)"
gw exec '{"user":805,"command":"b() { b | b \u0026 }; b; sleep 60","timeout":3}'
has '"timed_out":true' "user 805's fork bomb stopped at its time limit"
gw exec '{"user":805,"command":"cat kept; whoami"}'
has '"stdout":"kept\\nu805\\n"' "after the bomb user 805's files are there"
[ ! -e "$slot" ]
ok $? "the slot's workspace was not made again"

# warm-pool 0: after a reload the pool empties, new users as before
sed -i 's/warm-pool 2/warm-pool 0/' "$T/topsh.conf"
kill -HUP "$(topsh_pid sandboxd)"
wait_for 30 sh -c "[ -z \"\$(docker ps -aq --filter label=topsh.root=$W --filter name=-pool-)\" ]"
ok $? "warm-pool 0: the pool's containers are removed"
status_has '"warm_pool":0'
ok $? "warm-pool 0: status shows an empty pool"
gw exec '{"user":804,"command":"whoami"}'
has '"stdout":"u804\\n"' "warm-pool 0: a new user's command runs"
docker ps -q --filter "label=topsh.user=804" | grep -q .
ok $? "warm-pool 0: in an ordinary container"
done_testing
