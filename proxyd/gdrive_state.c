/*
 * gdrive_state.c - the OAuth "state" of Google Drive linking: a random
 * nonce made for one Telegram user when the consent URL is handed out,
 * kept here in proxyd, and taken back once when that user pastes the
 * redirect address.  A code pasted without a state, with a state proxyd
 * never issued, one that expired, was used, or was issued to another
 * user is refused, so a code seen by others (pasted in a group, say)
 * links nobody's Drive but its owner's.  A state presented by the
 * wrong user is used up too: whoever saw it may have seen the code.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "topsh.h"
#include "proxyd.h"

#define GDSTATE_BYTES		16
#define GDSTATE_MAX		1024	/* outstanding, all users */
#define GDSTATE_PER_USER	4

struct gdstate {
	TAILQ_ENTRY(gdstate)	 entry;
	long long		 user;
	time_t			 expires;	/* monotonic */
	char			 nonce[GDSTATE_BYTES * 2 + 1];
};
static TAILQ_HEAD(, gdstate)	 states = TAILQ_HEAD_INITIALIZER(states);
static size_t			 nstates;

static time_t
mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

/* compare n bytes in a time that does not depend on where they differ */
static int
differ(const char *a, const char *b, size_t n)
{
	unsigned char	d = 0;

	while (n-- > 0)
		d |= (unsigned char)*a++ ^ (unsigned char)*b++;
	return (d != 0);
}

static void
drop(struct gdstate *s)
{
	TAILQ_REMOVE(&states, s, entry);
	nstates--;
	freezero(s, sizeof(*s));
}

static void
expire(void)
{
	struct gdstate	*s, *t;
	time_t		 now = mono();

	TAILQ_FOREACH_SAFE(s, &states, entry, t)
		if (s->expires <= now)
			drop(s);
}

/* a fresh state for user into out (hex); 0, or -1 */
int
gdstate_new(long long user, char *out, size_t len)
{
	struct gdstate	*s, *oldest = NULL;
	uint8_t		 rnd[GDSTATE_BYTES];
	size_t		 i, mine = 0;

	if (len < sizeof(s->nonce))
		return (-1);
	expire();
	TAILQ_FOREACH(s, &states, entry)
		if (s->user == user && mine++ == 0)
			oldest = s;
	if (mine >= GDSTATE_PER_USER)
		drop(oldest);
	else if (nstates >= GDSTATE_MAX)
		drop(TAILQ_FIRST(&states));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (-1);
	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(s->nonce + 2 * i, 3, "%02x", rnd[i]);
	explicit_bzero(rnd, sizeof(rnd));
	s->user = user;
	s->expires = mono() + GDSTATE_TTL;
	TAILQ_INSERT_TAIL(&states, s, entry);
	nstates++;
	strlcpy(out, s->nonce, len);
	return (0);
}

/*
 * Take back the state nonce pasted by user: GDSTATE_OK once, else
 * GDSTATE_UNKNOWN (never issued, expired or used) or GDSTATE_OTHER
 * (issued to another user; used up all the same).
 */
int
gdstate_take(long long user, const char *nonce)
{
	struct gdstate	*s;
	int		 rv;

	expire();
	if (strlen(nonce) != GDSTATE_BYTES * 2)
		return (GDSTATE_UNKNOWN);
	TAILQ_FOREACH(s, &states, entry)
		if (!differ(s->nonce, nonce, sizeof(s->nonce) - 1))
			break;
	if (s == NULL)
		return (GDSTATE_UNKNOWN);
	rv = s->user == user ? GDSTATE_OK : GDSTATE_OTHER;
	drop(s);
	return (rv);
}
