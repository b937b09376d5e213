/*
 * runtime.c - which OCI runtime the sandboxes run under.
 *
 * Whenever the engine comes (back) up, its GET /info (docker.c) lists
 * the runtimes it knows, each with its path and arguments.  The
 * configured runtime is resolved against that list:
 *   auto    gVisor when the engine has it for our network mode, else runc
 *           with a warning (and `topshctl check' warns too);
 *   NAME    used as named; a name the engine does not know is refused with
 *           the daemon.json lines to add, instead of failing at the first
 *           container with the engine's message.
 * Which runtimes are gVisor and which of them suit the configured
 * network mode is common/gvisor.c's (topshctl check says the same).  A
 * gVisor runtime whose --network does not suit it is refused with the
 * reason.
 * Then adoption runs (sandboxd.c); containers made under another runtime
 * are replaced at adoption (box.c), so a change of runtime takes effect
 * for every user after a restart.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "daemon.h"
#include "gvisor.h"
#include "log.h"
#include "sandboxd.h"
#include "topsh.h"

#define RUNTIME_DEFAULT	"runc"

static struct {
	char	 name[64];	/* resolved; "" until known or when refused */
	char	 error[512];	/* why the configured runtime cannot be used */
	int	 gvisor;	/* name is a gVisor runtime */
	int	 gvisor_known;	/* the engine has some gVisor runtime */
} rt;

static const char *
cfg_runtime(void)
{
	const char	*r = topsh_conf->sandbox.runtime;

	return (r != NULL && r[0] != '\0' ? r : "auto");
}

static int
networked(void)
{
	return (strcmp(topsh_conf->sandbox.network, "none") != 0);
}

static void
refuse(const char *name, const char *why)
{
	snprintf(rt.error, sizeof(rt.error), "%s: %s", name, why);
	rt.name[0] = '\0';
	log_warnx("runtime %s", rt.error);
}

/* auto: a suitable gVisor runtime, "runsc"/"runsc-net" first, else runc */
static void
resolve_auto(json_t *rts)
{
	const char	*pick;

	if ((pick = gvisor_pick(rts, networked())) != NULL) {
		strlcpy(rt.name, pick, sizeof(rt.name));
		rt.gvisor = 1;
		return;
	}
	strlcpy(rt.name, RUNTIME_DEFAULT, sizeof(rt.name));
	log_warnx("runtime: no gVisor runtime for %s sandboxes is registered "
	    "with the engine; they run under runc and share the host's "
	    "kernel (apt-get install runsc; see sandboxd(8) for the "
	    "daemon.json lines)", networked() ? "networked" : "network-less");
}

static void
resolve_named(json_t *rts, const char *name)
{
	json_t		*spec;
	const char	*why;

	spec = json_object_get(rts, name);
	if (spec == NULL && strcmp(name, RUNTIME_DEFAULT) != 0) {
		refuse(name, "the Docker engine has no runtime of this name; "
		    "add it to /etc/docker/daemon.json, for gVisor: "
		    "\"runtimes\": {\"runsc\": {\"path\": \"/usr/bin/runsc\", "
		    "\"runtimeArgs\": [\"--platform=ptrace\", "
		    "\"--network=none\"]}}, then send SIGHUP to dockerd "
		    "(register-runsc.sh, shipped with topsh, does both)");
		return;
	}
	if (spec != NULL && gvisor_is(spec)) {
		if ((why = gvisor_unsuited(spec, networked())) != NULL) {
			refuse(name, why);
			return;
		}
		rt.gvisor = 1;
	}
	strlcpy(rt.name, name, sizeof(rt.name));
}

/*
 * The engine is (back) up: resolve the configured runtime against the
 * runtimes its /info answer lists (docker.c asked for it).
 */
void
runtime_resolve(json_t *info)
{
	json_t		*rts, *spec;
	const char	*k, *name = cfg_runtime();

	rt.name[0] = rt.error[0] = '\0';
	rt.gvisor = rt.gvisor_known = 0;
	rts = json_object_get(info, "Runtimes");
	if (!json_is_object(rts)) {
		/* an engine too old to say: trust the configuration */
		log_warnx("docker: /info lists no runtimes; using %s as "
		    "configured", name);
		strlcpy(rt.name, strcmp(name, "auto") == 0 ? RUNTIME_DEFAULT :
		    name, sizeof(rt.name));
	} else {
		json_object_foreach(rts, k, spec)
			if (gvisor_is(spec))
				rt.gvisor_known = 1;
		if (strcmp(name, "auto") == 0)
			resolve_auto(rts);
		else
			resolve_named(rts, name);
	}
	if (rt.name[0] != '\0')
		log_info("runtime: containers run under %s%s", rt.name,
		    rt.gvisor ? " (gVisor)" : "");
}

/* the runtime for new containers, NULL while refused or not yet known */
const char *
runtime_name(void)
{
	return (rt.name[0] != '\0' ? rt.name : NULL);
}

/* do new containers run under gVisor? */
int
runtime_gvisor(void)
{
	return (rt.name[0] != '\0' && rt.gvisor);
}

/*
 * The host's pids limit of a container.  Under gVisor with the ptrace
 * platform the host counts the Sentry's own threads (about 55 at rest)
 * and about ten host tasks for each process inside, and a Sentry that
 * cannot make a thread dies with the whole sandbox.  So the user's
 * limit is kept inside, by gVisor's kernel, as RLIMIT_NPROC (the user is
 * alone in the sandbox's kernel), and the host limit only bounds the
 * Sentry: GVISOR_TASKS_PER_PROC per allowed process plus its own.
 * The Sentry keeps the host tasks of ended processes pooled, so many
 * processes made and ended (a fork bomb ended at its time limit) can
 * leave a sandbox near this limit: kill.c restarts it then.
 */
#define GVISOR_TASKS_PER_PROC	12
#define GVISOR_SENTRY_TASKS	128

long long
runtime_host_pids(long long pids)
{
	if (!runtime_gvisor())
		return (pids);
	return (pids * GVISOR_TASKS_PER_PROC + GVISOR_SENTRY_TASKS);
}

/* why no container can be made, NULL when one can */
const char *
runtime_error(void)
{
	if (rt.name[0] != '\0')
		return (NULL);
	return (rt.error[0] != '\0' ? rt.error : docker_is_up() ?
	    "the engine's runtimes are not known yet" :
	    "the Docker engine is unreachable");
}

void
runtime_status(json_t *o)
{
	json_object_set_new(o, "runtime_configured",
	    json_string(cfg_runtime()));
	if (rt.name[0] != '\0')
		json_object_set_new(o, "runtime", json_string(rt.name));
	else
		json_object_set_new(o, "runtime_error",
		    json_string(runtime_error()));
	json_object_set_new(o, "gvisor", json_boolean(rt.gvisor));
	json_object_set_new(o, "gvisor_available",
	    json_boolean(rt.gvisor_known));
}
