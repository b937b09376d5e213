/*
 * daemon.h - the start-up every topsh daemon shares.
 *
 * daemon_main() parses -d -v -n -f -D (plus a daemon's own flags),
 * loads topsh.conf, sets up logging, creates the runtime directory and
 * the daemon's sockets, calls the daemon's init hook (still root, if
 * started as root), drops to the daemon's user, calls its confine hook
 * (seccomp + Landlock), then runs the libevent loop.  SIGHUP and
 * `topshctl reload' re-read the configuration: a bad file is refused
 * with every error listed and the running configuration stays.
 */
#ifndef TOPSH_DAEMON_H
#define TOPSH_DAEMON_H

#include <sys/types.h>

#include <event2/event.h>

#include "config.h"
#include "proc.h"

struct daemon_def {
	const char	*name;
	enum proc_id	 id;
	struct proc_conf proc;		/* .self and .reload are filled in */
	const char	*usage;		/* extra usage text, e.g. "[-t]" */
	const char	*extra_opts;	/* extra getopt letters */
	/* a daemon-specific flag; 0 ok, -1 usage error */
	int		(*option)(int, const char *);
	/*
	 * After the configuration loaded, before anything else: return
	 * -1 to go on as a daemon, or an exit status to stop there (for
	 * offline modes such as policyd -t or proxyd -R).
	 */
	int		(*offline)(struct topsh_conf *);
	/* -n: check what topsh.conf names (e.g. rule files); 0 ok */
	int		(*check)(struct topsh_conf *, int);
	/* still privileged: open what is needed later; 0 ok */
	int		(*init)(struct topsh_conf *, struct event_base *);
	/* supplementary group to keep after dropping privileges, or NULL */
	const char	*(*keep_group)(struct topsh_conf *);
	/* unprivileged now: install seccomp and Landlock; 0 ok */
	int		(*confine)(struct topsh_conf *);
	/* the loop is about to run */
	int		(*start)(struct event_base *);
	/*
	 * A new configuration parsed without error.  Apply it (0) or refuse
	 * it with a message (-1); on refusal the old one stays.  The daemon
	 * takes ownership of nothing: daemon.c keeps whichever is current.
	 */
	int		(*reload)(struct topsh_conf *, struct topsh_conf *,
			    char *, size_t);
	void		(*shutdown)(void);
	/* SIGUSR1: reopen log files after rotation (NULL: nothing to do) */
	void		(*reopen)(void);
};

extern struct topsh_conf	*topsh_conf;	/* the running configuration */
extern struct event_base	*topsh_base;
extern int			 topsh_debug;	/* -d */
extern int			 topsh_verbose;	/* -v count */

int		 daemon_main(int, char **, const struct daemon_def *);
/* startenv.c: close inherited descriptors, scrub the environment */
void		 daemon_startenv(void);
/* used by the control socket and SIGHUP */
int		 daemon_reload(char *, size_t);
/*
 * What the daemon still lacks, for systemd's STATUS= and the log
 * ("image topsh-sandbox:latest missing"); NULL clears it.
 */
void		 daemon_status_note(const char *);
/* the uid that each daemon runs as (from topsh.conf, or ours) */
uid_t		 daemon_uid(enum proc_id);
int		 daemon_privileged(void);	/* started as root */
/* STATE-DIR/<daemon name>: 0700, owned by the daemon's user */
const char	*daemon_statedir(void);
/* the directory of the configuration file (keep it readable) */
const char	*daemon_confdir(void);
struct confine_path;
/*
 * Landlock for a daemon: the configuration directory stays readable
 * (for reload) besides paths[]; tcp as in confine_landlock().
 */
int		 daemon_landlock(const struct confine_path *, size_t, int);

#endif
