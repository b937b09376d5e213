#!/bin/sh
# sandbox_identity.sh - each user's own uid in the sandbox (issue 13):
# two users' containers run under different uids from uid-range, never
# sandboxd's; whoami names the user, HOME is the workspace, git commit
# works with the Telegram name as the author, ssh-keygen and a pip-style
# --user install location work; the workspace files belong to the
# user's uid; user-limits gives one user more memory; users remove
# stops the container and moves the workspace out of reach.  Uses the
# image built from the host's Debian packages (git, python3, ssh).
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

[ "$(id -u)" -eq 0 ] || { echo "not ok 1 - needs root (per-user uids)"; exit 1; }
topsh_need_debian_image || { echo "not ok 1 - no Debian sandbox image"; exit 1; }
TOPSH_IMAGE=$TOPSH_DEBIAN_IMAGE
SBX_CONF="	uid-range 1300000:1300099
	user-limits \"702 memory=300M\""
sbx_setup

cmd='echo who=$(whoami) uid=$(id -u) gid=$(id -g) home=$HOME; git init -q r && cd r && git commit -q --allow-empty -m first && echo author=$(git log -1 --format=%an) && cd .. && ssh-keygen -q -t ed25519 -N "" -f k && echo key-ok; python3 -c "import site,os; p=site.getusersitepackages(); os.makedirs(p, exist_ok=True); print(\"usersite-ok\", p.startswith(\"/workspace\"))"; touch mine'
for u in 701 702; do
	gw exec "{\"user\":$u,\"name\":\"Ann $u\",\"command\":$(printf '%s' "$cmd" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}"
	eval "OUT$u=\$OUT"
	has "who=u$u uid=1300[0-9]+ gid=1300[0-9]+ home=/workspace" "user $u: whoami names the user, HOME is the workspace"
	has "author=Ann $u" "user $u: git commit works, author from the Telegram name"
	has "key-ok" "user $u: ssh-keygen works"
	has "usersite-ok True" "user $u: the pip --user site is in the workspace and writable"
done
u1=$(printf '%s' "$OUT701" | sed -n 's/.*who=u701 uid=\([0-9]*\).*/\1/p')
u2=$(printf '%s' "$OUT702" | sed -n 's/.*who=u702 uid=\([0-9]*\).*/\1/p')
[ -n "$u1" ] && [ -n "$u2" ] && [ "$u1" != "$u2" ]
ok $? "two users run under different uids ($u1, $u2)"
sbxuid=$(id -u topsh-sandbox)
[ "$u1" != "$sbxuid" ] && [ "$u2" != "$sbxuid" ]
ok $? "neither is sandboxd's uid ($sbxuid)"
[ "$(stat -c %u "$T/workspaces/701/ws/mine")" = "$u1" ] &&
    [ "$(stat -c %u "$T/workspaces/702/ws/r/.git")" = "$u2" ]
ok $? "the workspace files belong to each user's uid"
gw write '{"user":701,"path":"from-tool.txt","content":"x"}'
[ "$(stat -c %u "$T/workspaces/701/ws/from-tool.txt")" = "$u1" ]
ok $? "a file written by the file tools belongs to the user's uid"
# under runc the container's processes are host processes of that uid;
# under gVisor they are tasks of the Sentry, and the uid reaches the
# host through the files (the gofer creates them as that uid, above)
case $(topsh_runtime) in
runsc*)	[ "$(docker inspect "$(sbx_cid 701)" --format '{{.Config.User}}')" = "$u1:$u1" ]
	ok $? "the container is configured with user 701's uid ($u1:$u1)" ;;
*)	OUT=$(docker top "$(sbx_cid 701)" -o pid,uid 2>&1)
	[ "$(printf '%s\n' "$OUT" | awk 'NR > 1 { print $2 }' | sort -u)" = "$u1" ]
	ok $? "every host process of user 701's container runs as $u1" ;;
esac
grep -q "^701 $u1\$" "$T/state/sandboxd/uids" && grep -q "^702 $u2\$" "$T/state/sandboxd/uids"
ok $? "the uids are kept in STATE-DIR/sandboxd/uids"
[ "$(docker inspect "$(sbx_cid 702)" --format '{{.HostConfig.Memory}}')" = 314572800 ]
ok $? "user-limits: user 702 has 300M of memory"

# a restarted sandboxd gives each user the same uid again (the
# container is adopted; its commands run as the uid kept on disk)
topsh_stop sandboxd
topsh_start sandboxd -v
topsh_wait_up sandboxd
wait_for 10 sh -c "ctl status sandboxd 2>/dev/null | grep -q policyd"
gw exec '{"user":701,"command":"id -u"}'
has "\"stdout\":\"$u1\\\\n\"" "after a restart user 701 has the same uid"

cc remove-user '{"user":702,"workspace":true}'
has '"state":"container stopped, workspace in' "users remove: the container stops"
[ ! -e "$T/workspaces/702" ] && ls "$T/workspaces/.removed/" | grep -q '^702\.'
ok $? "users remove: the workspace moved to .removed"
[ -z "$(sbx_cid 702)" ]
ok $? "users remove: no container is left"
done_testing
