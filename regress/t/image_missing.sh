#!/bin/sh
# image_missing.sh - sandboxd says at start that its image is missing
# (issue 12, item 7): an error line naming the image and how to build
# it, and STATUS= for systemd; with the image there it says so.
: "${TOPSH_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOPSH_SRC/regress/t/lib.sh"

topsh_need_docker >/dev/null 2>&1 || { ok 1 "no docker engine"; exit 1; }
TOPSH_IMAGE=topsh-no-such-image-$$:latest
export TOPSH_IMAGE
topsh_setup
topsh_start policyd
topsh_start sandboxd
wait_for 30 grep -q "image $TOPSH_IMAGE is missing" "$T/sandboxd.log"
ok $? "a missing image is said at start"
grep -q "make image, or etc/sandbox/build-debian-image.sh" "$T/sandboxd.log"
ok $? "with how to build it"
topsh_alive sandboxd
ok $? "sandboxd runs on (the image may come later)"
topsh_stop sandboxd

sed -i "s|image \"$TOPSH_IMAGE\"|image \"topsh-sandbox-test:latest\"|" \
    "$T/topsh.conf"
: >"$T/sandboxd.log"
topsh_start sandboxd
wait_for 30 grep -q "image topsh-sandbox-test:latest present" \
    "$T/sandboxd.log"
ok $? "an image that is there is found"
! grep -q "is missing" "$T/sandboxd.log"
ok $? "and not called missing"
topsh_stop sandboxd
topsh_stop policyd
done_testing
