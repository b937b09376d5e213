/*
 * gvisor.c - which of the Docker engine's runtimes are gVisor, and
 * which of those can run the sandboxes: one answer for sandboxd's
 * choice (sandboxd/runtime.c) and for topshctl check, which says in
 * advance what sandboxd will do.
 *
 * gVisor is a runtime whose path ends in "runsc".  Its own network
 * stack does not start under Docker on these hosts, so it is registered
 * twice (etc/sandbox/register-runsc.sh): --network=none for sandboxes
 * without a network ("runsc"), --network=host for sandboxes on a Docker
 * network ("runsc-net").  The "networked" argument below is whether the
 * configured network mode is other than none.
 */
#include <sys/types.h>

#include <string.h>

#include <jansson.h>

#include "gvisor.h"

int
gvisor_is(json_t *spec)
{
	const char	*p = json_string_value(json_object_get(spec, "path"));
	size_t		 n = p != NULL ? strlen(p) : 0;

	return (n >= 5 && strcmp(p + n - 5, "runsc") == 0);
}

/* runsc's own --network argument, "sandbox" (its default) when absent */
static const char *
gvisor_net(json_t *spec)
{
	json_t		*args, *a;
	const char	*s, *net = "sandbox";
	size_t		 i;

	args = json_object_get(spec, "runtimeArgs");
	json_array_foreach(args, i, a) {
		if ((s = json_string_value(a)) == NULL)
			continue;
		if (strncmp(s, "--network=", 10) == 0)
			net = s + 10;
		else if (strncmp(s, "-network=", 9) == 0)
			net = s + 9;
	}
	return (net);
}

const char *
gvisor_unsuited(json_t *spec, int networked)
{
	const char	*net = gvisor_net(spec);

	if (!networked && strcmp(net, "none") != 0)
		return ("sandboxes without a network (network none) need "
		    "runsc's own --network=none in its runtimeArgs");
	if (networked && strcmp(net, "none") == 0)
		return ("its --network=none would leave the sandboxes on "
		    "a Docker network without one; register runsc with "
		    "--network=host for them (runsc-net)");
	return (NULL);
}

/* "runsc" or "runsc-net" for the network mode first, then any other */
const char *
gvisor_pick(json_t *rts, int networked)
{
	const char	*pref = networked ? "runsc-net" : "runsc";
	const char	*k;
	json_t		*spec;

	spec = json_object_get(rts, pref);
	if (gvisor_is(spec) && gvisor_unsuited(spec, networked) == NULL)
		return (pref);
	json_object_foreach(rts, k, spec)
		if (gvisor_is(spec) && gvisor_unsuited(spec, networked) == NULL)
			return (k);
	return (NULL);
}
