#!/bin/sh
# sandbox_scripts.sh - a script a command runs is checked against the
# rules (issue 14, item 7): a file written with write_file and holding a
# denied command is refused however it is run (sh, bash, ./FILE, . FILE,
# sh < FILE, cat FILE | sh, from another script, after cd), a symlink
# planted as the script or a file too large to check needs approval
# ("default script approve"), and a harmless script runs.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

sbx_rules() {
	cat >"$T/sbx.rules" <<'EOR'
block sbx-environ category procfs pattern '/proc/[^/]+/environ' message "environ"
default command allow
default file allow
default network deny
default script approve
EOR
}
SBX_CONF='	disk-quota 0'
sbx_setup

U=721
gw write '{"user":721,"path":"b.sh","content":"echo ran-evil\ncat /proc/1/environ\n"}' \
    write '{"user":721,"path":"h.sh","content":"echo hello-from-script\n"}' \
    write '{"user":721,"path":"n.sh","content":"echo outer\nsh ./b.sh\n"}' \
    write '{"user":721,"path":"sub/h.sh","content":"cat /proc/1/environ\n"}'
has '^4 file-result' "the scripts are written with write_file"
gw exec '{"user":721,"command":"chmod +x b.sh h.sh; ln -s /etc/shadow s.sh; head -c 70000 /dev/zero | tr \"\\\\0\" \"#\" >big.sh; echo ready"}'
has '"stdout":"ready\\n"' "b.sh made executable, a symlink and a large file planted"

for cmd in 'sh b.sh' 'bash b.sh' './b.sh' '. ./b.sh' 'sh < b.sh' \
    'cat b.sh | sh' 'env sh b.sh' 'timeout 5 sh b.sh' 'sh /workspace/b.sh' \
    'sh n.sh' 'cd sub && sh h.sh'; do
	gw exec "{\"user\":$U,\"command\":\"$cmd\"}"
	has '"code":"denied".*"rule":"sbx-environ"' "refused: $cmd"
	hasnt 'ran-evil|outer' "and nothing of it ran: $cmd"
done
gw exec '{"user":721,"command":"sh n.sh"}'
has '"message":"in \./b\.sh: environ"' \
    "the nested script is named in the refusal"

gw exec '{"user":721,"command":"sh s.sh"}'
has '"code":"needs-approval".*"rule":"script-unread"' \
    "a symlink planted as the script is not followed: it needs approval"
gw exec '{"user":721,"command":"sh big.sh"}'
has '"code":"needs-approval".*"rule":"script-unread"' \
    "a script larger than 64 KiB needs approval"
# approved (proxyd saw the user press the button), it runs
tk=$(printf '%s\n' "$OUT" | sed -n 's/.*"ticket":"\([0-9a-f]*\)".*/\1/p')
as_proc proxyd "$TOOLS/peersend" "$T/run/policyd.sock" proxyd 204 \
    "{\"presses\":[{\"user\":721,\"chat\":721,\"data\":\"q:7:0:$tk\",\"age\":0}]}" \
    >/dev/null 2>&1
gw exec "{\"user\":721,\"command\":\"sh big.sh\",\"approved\":\"$tk\"}"
has '"exit":0' "with a pressed approval the script runs"
hasnt '"code"' "and is not refused"
gw exec '{"user":721,"command":"ls /nonexistent | xargs sh"}'
has '"code":"needs-approval".*"rule":"script-unknown"' \
    "xargs sh runs files named at run time: it needs approval"

gw exec '{"user":721,"command":"sh h.sh"}'
has '"stdout":"hello-from-script\\n"' "a harmless script runs"
gw exec '{"user":721,"command":"./h.sh && . ./h.sh"}'
has '"stdout":"hello-from-script\\nhello-from-script\\n"' \
    "./FILE and . FILE of a harmless script run"
gw exec '{"user":721,"command":"sh missing.sh; echo rc=$?"}'
has '"stdout":"rc=[0-9]+\\n"' "a script that is not there needs no approval"

# the same check without the texts (policyd alone) holds the line: the
# texts came from sandboxd
ctl policy test 'sh b.sh' >"$T/pt.out" 2>&1
OUT=$(cat "$T/pt.out")
has 'script-unread' "without the texts policyd holds the line (topshctl)"

done_testing
