#!/bin/sh
# sandbox_files.sh - the agent's file tools through sandboxd: every
# operation, escapes planted from inside the container (symlinks, hard
# links, "..") refused, file policy, send-as-fd, soft delete with
# topshctl-style trash list and restore.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

SBX_CONF='	disk-quota 32M
	max-file-size 1M'
sbx_setup

gw write '{"user":201,"path":"/workspace/notes/a.txt","content":"alpha\nbeta\n"}'
has '"created":true' "write creates the file and its directory"
gw exec '{"user":201,"command":"cat /workspace/notes/a.txt; ls -ln /workspace/notes"}'
has '"stdout":"alpha\\nbeta\\n' "the container sees what the file tool wrote"
gw edit '{"user":201,"path":"notes/a.txt","find":"beta","replace":"gamma"}' \
    read '{"user":201,"path":"notes/a.txt"}'
has '"replacements":1' "edit by exact find/replace"
has '"content":"alpha\\ngamma\\n"' "read shows the edit"
gw glob '{"user":201,"pattern":"**/*.txt"}' \
    grep '{"user":201,"pattern":"gam+a"}' \
    list '{"user":201,"path":"notes"}' \
    stat '{"user":201,"path":"notes/a.txt"}'
has '"matches":\["notes/a.txt"\]' "glob"
has '"path":"notes/a.txt","line":2,"text":"gamma"' "grep"
has '"entries":\[\{"name":"a.txt","type":"file"' "list"
has '"type":"file","size":12' "stat"
gw open '{"user":201,"path":"notes/a.txt"}'
has 'fd \{"fd_bytes":12,"fd_head":"alpha' "open passes a readable fd"

# --- escapes planted inside the container
gw exec '{"user":201,"command":"cd /workspace && ln -s / rootlink && ln -s /etc/passwd pw && ln notes/a.txt hard && mkdir d && ln -s .. d/up && echo planted"}'
has 'planted' "links planted from inside the container"
gw read '{"user":201,"path":"rootlink/etc/passwd"}'
has '"code":"escape"' "read through a symlinked directory refused"
gw read '{"user":201,"path":"pw"}'
has '"code":"escape"' "read through a symlink refused"
gw open '{"user":201,"path":"pw"}'
has '"code":"escape"' "open through a symlink refused"
hasnt 'fd_bytes' "and no fd was passed"
gw read '{"user":201,"path":"hard"}'
has '"code":"escape"' "read of a hard-linked file refused"
gw read '{"user":201,"path":"../../../etc/passwd"}'
has '"code":"escape"' "read with .. refused"
gw read '{"user":201,"path":"d/up/d/up/notes/a.txt"}'
has '"code":"escape"' "read through a planted .. symlink refused"
gw write '{"user":201,"path":"rootlink/tmp/evil","content":"x"}'
has '"code":"escape"' "write through a symlinked directory refused"
gw write '{"user":201,"path":"../202/ws/evil","content":"x"}'
has '"code":"escape"' "write into another workspace with .. refused"
[ ! -e /tmp/evil ] && [ ! -e "$T/workspaces/202/ws/evil" ]
ok $? "nothing was written outside"
gw write '{"user":201,"path":"pw","content":"mine"}'
grep -q '^root:' /etc/passwd
ok $? "writing over a planted symlink never touches its target"
gw grep '{"user":201,"pattern":"^root:"}'
has '"matches":\[\]' "grep does not follow links out of the workspace"

# --- policy on files
gw write '{"user":201,"path":"private/key","content":"k"}'
has '"code":"denied".*"rule":"sbx-private"' "file policy deny with the rule name"

# --- two users: the file tools stay in the user's own workspace
gw write '{"user":202,"path":"mine.txt","content":"user202"}' \
    read '{"user":201,"path":"mine.txt"}'
has '^2 error .*"code":"not-found"' "user 201 cannot read user 202's file"

# --- soft delete, trash list and restore (the topshctl requests)
gw delete '{"user":201,"path":"notes"}'
has '"trash_id":"[0-9a-f-]+"' "delete moves to the trash"
id=$(printf '%s' "$OUT" | sed -n 's/.*"trash_id":"\([0-9a-f-]*\)".*/\1/p')
gw exec '{"user":201,"command":"ls /workspace/notes 2>&1; ls -a /workspace"}'
has 'No such file' "deleted for the container too"
hasnt 'trash' "the trash is not visible in the container"
cc trash-list '{"user":201}'
has "\"id\":\"$id\",\"path\":\"notes\",\"type\":\"dir\"" "trash list shows it"
cc trash-restore '{"user":201,"id":"../../etc"}'
has 'ctl-fail' "restore refuses a bad id"
cc trash-restore "{\"user\":201,\"id\":\"$id\"}"
has "ctl-data .*\"path\":\"notes\"" "restore"
gw stat '{"user":201,"path":"notes/a.txt"}'
has '"type":"file","size":12' "the restored file is back"

# --- purge: for good, one item or all, never through a planted link
mkdir -p "$T/outside" && echo keep >"$T/outside/keep"
gw exec "{\"user\":201,\"command\":\"mkdir -p junk/sub && echo x >junk/sub/f && ln -s $T/outside junk/out && ln -s $T/outside/keep junk/sub/keep\"}"
gw delete '{"user":201,"path":"junk"}'
has '"trash_id":"[0-9a-f-]+"' "a tree with planted links goes to the trash"
id2=$(printf '%s' "$OUT" | sed -n 's/.*"trash_id":"\([0-9a-f-]*\)".*/\1/p')
gw write '{"user":201,"path":"other.txt","content":"o"}' \
    delete '{"user":201,"path":"other.txt"}'
cc trash-purge '{"user":201,"id":"../ws"}'
has 'ctl-fail' "purge refuses a bad id"
cc trash-purge "{\"user\":201,\"id\":\"$id2\"}"
has '"purged":1' "purge one item"
[ -f "$T/outside/keep" ] && [ -d "$T/outside" ]
ok $? "what the planted links pointed to is untouched"
cc trash-list '{"user":201}'
hasnt "$id2" "the purged item is gone from the list"
has '"path":"other.txt"' "the other item stays"
cc trash-purge '{"user":201}'
has '"purged":1' "purge everything left"
cc trash-list '{"user":201}'
hasnt '"id"' "the trash is empty"

cc trash-list '{"user":99999}'
has 'ctl-fail .*"code":"not-found"' "trash of an unknown user: not found"
[ ! -e "$T/workspaces/99999" ] && [ ! -e "$T/workspaces/99999.img" ]
ok $? "and no workspace was made for it"

# --- bad requests are refused, the daemon lives on
gw read '{"path":"x"}' read '{"user":"1","path":"x"}' read '{"user":201}'
has '^1 error .*"code":"invalid"' "missing user refused"
has '^2 error .*"code":"invalid"' "string user refused"
has '^3 error .*"code":"invalid"' "missing path refused"
gw 399 '{}'
topsh_alive sandboxd
ok $? "an unknown message type does not kill sandboxd"

# --- policyd gone: everything is refused (fail closed), then back
topsh_stop policyd
gw exec '{"user":201,"command":"echo should-not-run"}' \
    read '{"user":201,"path":"notes/a.txt"}' \
    write '{"user":201,"path":"x.txt","content":"x"}'
has '^1 error .*"code":"policy-unavailable"' "no policyd: commands refused"
has '^2 error .*"code":"policy-unavailable"' "no policyd: reads refused"
has '^3 error .*"code":"policy-unavailable"' "no policyd: writes refused"
hasnt 'should-not-run' "nothing ran"
[ ! -e "$T/workspaces/201/ws/x.txt" ]
ok $? "nothing was written"
topsh_start policyd
read_works() {
	gw stat '{"user":201,"path":"notes/a.txt"}'
	printf '%s\n' "$OUT" | grep -q 'file-result'
}
wait_for 20 read_works
ok $? "policyd back: requests are served again"

# --- configuration checks
printf 'sandbox {\n\tports-per-user 20\n\tport-range 20000:20005\n}\n' \
    >"$T/bad.conf"
"$BIN/sandboxd" -n -f "$T/bad.conf" >"$T/bad.out" 2>&1
[ $? -ne 0 ] && grep -q 'smaller than ports-per-user' "$T/bad.out"
ok $? "sandboxd -n refuses a port range smaller than ports-per-user"
"$BIN/sandboxd" -n -f "$T/topsh.conf" >/dev/null 2>&1
ok $? "sandboxd -n accepts the test configuration"

done_testing
