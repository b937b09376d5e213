#!/bin/sh
# sandbox_image.sh - the sandbox image built from the host's Debian
# packages (etc/sandbox/build-debian-image.sh): cached by a tag derived
# from the builder, its package list and the packages' versions; a
# missing package is named; and through sandboxd, as a uid the image's
# /etc/passwd does not list (1500000, as per-user uids are) on a
# read-only root, the tools others rely on work: whoami, git commit,
# ssh-keygen, python3, tar, ps.
. "$TOPSH_SRC/regress/t/lib.sh"
. "$TOPSH_SRC/regress/t/sandbox.subr"

B="$TOPSH_SRC/etc/sandbox/build-debian-image.sh"
topsh_need_debian_image
ok $? "image built or found: ${TOPSH_DEBIAN_IMAGE:-none}"
[ -n "${TOPSH_DEBIAN_IMAGE:-}" ] || { done_testing; exit 1; }

# --- the cache: same inputs, same name, nothing rebuilt
name=$(sh "$B" -n)
[ "$name" = "$TOPSH_DEBIAN_IMAGE" ]
ok $? "-n names the image just built ($name)"
OUT=$(sh "$B" 2>&1)
has "$TOPSH_DEBIAN_IMAGE exists" "a second build finds the image and builds nothing"
pk=$(mktemp)
{ cat "$TOPSH_SRC/etc/sandbox/debian.packages"; echo hostname; } >"$pk"
n2=$(TOPSH_IMAGE_PACKAGES=$pk sh "$B" -n 2>&1)
case $n2 in topsh-sandbox-debian:*) [ "$n2" != "$name" ] ;; *) false ;; esac
ok $? "another package list gives another tag ($n2)"
echo topsh-no-such-package-xyz >>"$pk"
OUT=$(TOPSH_IMAGE_PACKAGES=$pk sh "$B" 2>&1)
rc=$?
[ $rc -ne 0 ]
ok $? "a package that is not installed stops the build (status $rc)"
has 'not installed on this host: topsh-no-such-package-xyz' \
    "and the error names it"
rm -f "$pk"

# --- through sandboxd, as sandboxd runs containers
TOPSH_IMAGE=$TOPSH_DEBIAN_IMAGE
# a uid far outside the image's /etc/passwd, as per-user uids are
SBX_CONF='	exec-timeout 60s
	container-uid 1500000'
sbx_setup

# gVisor checks the permission before the read-only mount: there the
# root's mount options say it
ro='touch /etc/x 2>&1 | grep -c Read-only'
case $(topsh_runtime) in
runsc*) ro='grep -c \" / [^ ]* ro,\" /proc/mounts' ;;
esac
# the container is made by a first command: under gVisor on a slow host
# its creation and the walk of the whole image together came near the
# client's 60 s (CI)
gw exec '{"user":301,"command":"true"}'
has '"exit":0' "the first command creates the container"
gw exec '{"user":301,"command":"whoami; id -u; '"$ro"'; find / -xdev -type f -perm /6000 | wc -l"}'
has '"stdout":"sandbox\\n1500000\\n1\\n0\\n"' \
    "whoami names uid 1500000; the root file system is read-only; no setuid file"
gw exec '{"user":301,"command":"git init -q r && cd r && echo hi >a && git add a && git commit -q -m first && git log --format=%an:%s"}'
has '"stdout":"sandbox:first\\n"' "git init, add, commit and log work"
gw exec '{"user":301,"command":"ssh-keygen -q -t ed25519 -N \"\" -f k && head -c 11 k.pub"}'
has '"stdout":"ssh-ed25519"' "ssh-keygen makes a key"
gw exec '{"user":301,"command":"python3 -c \"import json, sqlite3, ssl, hashlib; print(json.dumps({\\\"sum\\\": sum(range(10))}))\""}'
has '"stdout":"\{\\"sum\\": 45\}\\n"' "python3 -c runs with its standard library"
gw exec '{"user":301,"command":"tar czf r.tgz r && tar tzf r.tgz | sort | head -2 && gzip -t r.tgz && echo gz-ok"}'
has '"stdout":"r/\\nr/.git/\\ngz-ok\\n"' "tar and gzip work"
gw exec '{"user":301,"command":"ps -o comm= -p 1; printf \"a b\\n\" | awk \"{print \\$2}\" | sed s/b/c/ | grep -c c; find . -name a -type f; ls /etc/ssl/certs/ca-certificates.crt"}'
has '"stdout":"(docker-init|sleep)\\nc?1\\n./r/a\\n/etc/ssl/certs/ca-certificates.crt\\n"' \
    "ps, awk, sed, grep, find and the CA bundle are there"

done_testing
