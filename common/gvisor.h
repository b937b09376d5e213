/*
 * gvisor.h - the Docker engine's gVisor runtimes, as /info lists them.
 */
#ifndef TOPSH_GVISOR_H
#define TOPSH_GVISOR_H

#include <jansson.h>

/* is this runtime (an entry of /info's "Runtimes") gVisor? */
int	 gvisor_is(json_t *);
/* NULL when this gVisor runtime can run the sandboxes, else why not */
const char *gvisor_unsuited(json_t *, int);
/* the runtime "auto" takes: a suitable gVisor one, NULL when none */
const char *gvisor_pick(json_t *, int);

#endif
