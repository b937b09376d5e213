#!/bin/sh
# bench/e2e/engine.sh - what the Docker engine alone needs to create and
# start N containers like sandboxd's (no network, the test image), C at
# a time, through the Engine API: the floor under tput_300_ms, whose
# 100 new users each need a container.  Prints engine_N_ms and
# engine_per_container_ms.  Needs root and a running engine; removes
# what it made.  Not part of `make check`.
#
#   sh bench/e2e/engine.sh [N [C]]      # 40 containers, 4 at a time
set -u
N=${1:-40}
C=${2:-4}
SOCK=/var/run/docker.sock
IMAGE=${TOPSH_IMAGE:-topsh-sandbox-test:latest}
LABEL=topsh.bench.engine=$$

api() {
	curl -sf --unix-socket "$SOCK" "$@"
}

one() {
	id=$(api -H 'Content-Type: application/json' -d '{"Image":"'"$IMAGE"'",
	    "Cmd":["sleep","600"],"NetworkDisabled":true,
	    "Labels":{"topsh.bench.engine":"'"$$"'"},
	    "HostConfig":{"NetworkMode":"none","Init":true,"CapDrop":["ALL"],
	    "SecurityOpt":["no-new-privileges"],"ReadonlyRootfs":true,
	    "Memory":268435456,"PidsLimit":64,"LogConfig":{"Type":"none"}}}' \
	    http://engine/v1.41/containers/create |
	    sed 's/.*"Id":"\([0-9a-f]*\)".*/\1/') || return 1
	api -X POST "http://engine/v1.41/containers/$id/start"
}

api http://engine/_ping >/dev/null || { echo "no Docker engine" >&2; exit 1; }
docker image inspect "$IMAGE" >/dev/null 2>&1 ||
    { echo "image $IMAGE missing (make check builds it)" >&2; exit 1; }
t0=$(date +%s%N)
i=0
while [ "$i" -lt "$N" ]; do
	j=0
	while [ "$j" -lt "$C" ] && [ "$i" -lt "$N" ]; do
		one &
		i=$((i + 1))
		j=$((j + 1))
	done
	wait
done
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
made=$(docker ps -q --filter "label=$LABEL" | wc -l)
docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
echo "engine_${N}_ms=$ms"
echo "engine_started=$made"
echo "engine_per_container_ms=$((ms / N))"
