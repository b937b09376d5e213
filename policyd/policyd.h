/*
 * policyd.h - policyd's parts that are not the rule engine itself:
 * the engine's life cycle, the audit log, the imsg and control
 * handlers, the offline modes and the confinement.
 */
#ifndef POLICYD_POLICYD_H
#define POLICYD_POLICYD_H

#include <stdint.h>

#include <jansson.h>

#include "cfparse.h"
#include "config.h"
#include "proc.h"

struct ruleset;
struct pol_result;
struct topsh_conf;

/* engine.c */
struct ruleset	*pd_engine_build(char *const *, size_t,
		    const struct conf_policy *, struct cfmacros *,
		    struct cferrs *);
struct ruleset	*pd_engine_build_conf(const struct conf_policy *,
		    struct cferrs *);
void		 pd_engine_free(struct ruleset *);
int		 pd_engine_reload(struct ruleset **, const struct conf_policy *,
		    char *, size_t);

/* audit.c: JSON lines for every decision other than allow */
int		 pd_audit_open(const char *);
void		 pd_audit_close(void);
void		 pd_audit_reopen(void);
int		 pd_audit_chown(uid_t);
const char	*pd_audit_path(void);
void		 pd_audit_record(const char *, long long, long long, const char *,
		    json_t *, const struct pol_result *);
/* the same line as pd_audit_record writes, without the newline */
char		*pd_audit_format(const char *, long long, long long,
		    const char *, json_t *, const struct pol_result *);

/* server.c: requests from the peers and from topshctl */
void		 pd_server_init(struct ruleset *);
struct ruleset	*pd_server_rules(void);
void		 pd_server_shutdown(void);
int		 pd_server_dispatch(struct peer *, struct imsg *);
int		 pd_server_control(struct peer *, struct imsg *);
void		 pd_server_status(json_t *);
int		 pd_server_reload(struct topsh_conf *, struct topsh_conf *, char *,
		    size_t);
/* a request object to a result object (tests use it directly) */
json_t		*pd_server_answer(struct ruleset *, uint32_t, json_t *,
		    const char **);

/* vouch.c: who proxyd saw write and press (imsg_policy.h) */
void		 pd_vouch_init(long long);
int		 pd_vouch_record(json_t *);
int		 pd_vouch_user(int64_t);
void		 pd_vouch_approval(uint32_t, json_t *, json_t *);
json_t		*pd_vouch_status(void);

/* offline.c: -n and -t */
int		 pd_offline_check(struct ruleset *, int);
int		 pd_offline_test(struct ruleset *, FILE *, FILE *);
int		 pd_offline_rulefile(const char *, int, int, int,
		    struct cfmacros *);
int		 pd_offline_is_rulefile(const char *, struct cfmacros *);

/* pconfine.c: what policyd may still do once running */
int		 policyd_confine_paths(const char *, char *const *, size_t,
		    const char *);

#endif
