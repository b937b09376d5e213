#!/bin/sh
# sandbox_readcheck.sh - every file an operation reads is checked as a
# read (issue 14, item 2): search_text (grep) checks each file it would
# read with the same op and decision as read_file, skipping a denied
# file and one that needs an approval not given; edit_file needs read
# permission as well as write permission.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

sbx_rules() {
	cat >"$T/sbx.rules" <<'EOR'
file approve sbx-env path "/workspace/.env" ops read category test message "env file"
file deny sbx-ssh path "/workspace/.ssh/*" category test message "ssh keys"
file deny sbx-vault path "/workspace/vault.txt" ops read category test message "not to be read"
default command allow
default file allow
default network deny
EOR
}
SBX_CONF='	disk-quota 0'
sbx_setup

gw exec '{"user":701,"command":"mkdir -p .ssh sub; echo TOKEN=public >notes.txt; echo TOKEN=envsecret >.env; echo TOKEN=sshsecret >.ssh/id_rsa; echo TOKEN=vaultsecret >vault.txt; echo TOKEN=deeper >sub/x.txt; echo made"}'
has '"stdout":"made\\n"' "files in place"

# the rules as read_file sees them
gw read '{"user":701,"path":".env"}' read '{"user":701,"path":".ssh/id_rsa"}' \
    read '{"user":701,"path":"vault.txt"}'
has '^1 error .*"code":"needs-approval".*"rule":"sbx-env"' "read .env needs approval"
has '^2 error .*"code":"denied".*"rule":"sbx-ssh"' "read .ssh/id_rsa is denied"
has '^3 error .*"code":"denied".*"rule":"sbx-vault"' "read vault.txt is denied"

# grep: the same decisions, file by file
gw grep '{"user":701,"pattern":"TOKEN","path":"."}'
has 'TOKEN=public' "grep finds what may be read"
has 'TOKEN=deeper' "also below the directory"
hasnt 'envsecret' "grep does not read a file that needs approval"
hasnt 'sshsecret' "grep does not read a denied file"
hasnt 'vaultsecret' "nor a file denied for reading only"
has '"skipped_count":3' "and counts the three files skipped"
has '\{"path":"\.env","code":"needs-approval","rule":"sbx-env","ticket":"[0-9a-f]{32}"\}' \
    "naming a skipped file, why, by which rule, with an approval ticket"
has '\{"path":"\.ssh/id_rsa","code":"denied","rule":"sbx-ssh"\}' \
    "and a denied one"
tk=$(printf '%s\n' "$OUT" | sed -n 's/.*"path":"\.env","code":"needs-approval","rule":"sbx-env","ticket":"\([0-9a-f]*\)".*/\1/p')
gw grep "{\"user\":701,\"pattern\":\"TOKEN\",\"path\":\".\",\"approved\":\"$tk\"}"
hasnt 'envsecret' "the ticket without a press of its button opens nothing"
# proxyd saw the user press the Approve button of that ticket
as_proc proxyd "$TOOLS/peersend" "$T/run/policyd.sock" proxyd 204 \
    "{\"presses\":[{\"user\":701,\"chat\":701,\"data\":\"q:7:0:$tk\",\"age\":0}]}" \
    >/dev/null 2>&1
tk2=$(printf '%s\n' "$OUT" | sed -n 's/.*"path":"\.env","code":"needs-approval","rule":"sbx-env","ticket":"\([0-9a-f]*\)".*/\1/p')
as_proc proxyd "$TOOLS/peersend" "$T/run/policyd.sock" proxyd 204 \
    "{\"presses\":[{\"user\":701,\"chat\":701,\"data\":\"q:7:0:$tk2\",\"age\":0}]}" \
    >/dev/null 2>&1
gw grep "{\"user\":701,\"pattern\":\"TOKEN\",\"path\":\".\",\"approved\":\"$tk2\"}"
has 'envsecret' "with a pressed approval, grep reads the file that needed it"
hasnt 'sshsecret|vaultsecret' "an approval never opens a denied file"
gw grep '{"user":701,"pattern":"TOKEN","path":".ssh"}'
hasnt 'sshsecret' "grep below a denied directory reads nothing there"

# edit: a find/replace tells whether text is there: read permission too
gw edit '{"user":701,"path":"vault.txt","find":"TOKEN=vaultsecret","replace":"gone"}'
has '"code":"denied".*"rule":"sbx-vault"' "edit of a file that may not be read is denied"
gw edit '{"user":701,"path":".env","find":"TOKEN","replace":"T"}'
has '"code":"needs-approval".*"rule":"sbx-env"' "edit of a file that needs approval to read waits for it"
gw exec '{"user":701,"command":"cat vault.txt .env"}'
has '"stdout":"TOKEN=vaultsecret\\nTOKEN=envsecret\\n"' "neither file was changed"
gw edit '{"user":701,"path":"notes.txt","find":"public","replace":"edited"}' \
    read '{"user":701,"path":"notes.txt"}'
has '^1 file-result .*"replacements":1' "an ordinary edit still works"
has '^2 file-result .*"content":"TOKEN=edited\\n"' "and a read after it sees it (order kept)"

# policyd gone: grep reads nothing (fail closed)
topsh_stop policyd
gw grep '{"user":701,"pattern":"TOKEN","path":"."}'
has '"code":"policy-unavailable"' "without policyd grep is refused"
hasnt 'TOKEN=' "and shows nothing"

done_testing
