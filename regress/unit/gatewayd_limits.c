/*
 * gatewayd_limits.c - rate limiter, job queue, tool-output truncation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "regress.h"
#include "../../gatewayd/gateway.h"

static void
test_rate(void)
{
	struct ratelimit	rl = { 0, 0 };
	int			i, n = 0;

	for (i = 0; i < 20; i++)
		n += ratelimit_take(&rl, 1000.0, 10, 0);
	is_int(n, 10, "10 a minute: 10 of 20 at once");
	is_int(ratelimit_take(&rl, 1003.0, 10, 0), 0,
	    "3 s later still limited");
	is_int(ratelimit_take(&rl, 1006.5, 10, 0), 1,
	    "6.5 s later one more");
	is_int(ratelimit_take(&rl, 1006.6, 10, 0), 0, "but only one");
	memset(&rl, 0, sizeof(rl));
	for (i = 0, n = 0; i < 100; i++)
		n += ratelimit_take(&rl, 5.0, 0, 0);
	is_int(n, 100, "0 means unlimited");
}

static void
test_jobs(void)
{
	struct jobs	 js;
	int		 a = 1, b = 2, c = 3, d = 4;

	jobs_init(&js, 2);
	is_int(jobs_submit(&js, 1, &a), JOB_RUN, "first job runs");
	is_int(jobs_submit(&js, 1, &b), JOB_QUEUED, "second queues");
	is_int(jobs_submit(&js, 1, &c), JOB_QUEUED, "third queues");
	is_int(jobs_submit(&js, 1, &d), JOB_QUEUE_FULL, "fourth: queue full");
	is_int(jobs_queued(&js, 1), 2, "two queued");
	is_int(jobs_submit(&js, 2, &a), JOB_RUN, "other user runs");
	is_int(jobs_submit(&js, 3, &a), JOB_RUN, "a third user is never "
	    "refused because others are busy");
	ok(jobs_done(&js, 1) == &b, "user 1's next job is the second");
	ok(jobs_done(&js, 1) == &c, "then the third");
	ok(jobs_done(&js, 1) == NULL, "then nothing");
	is_int(jobs_submit(&js, 4, &a), JOB_RUN, "and a fourth");
	ok(jobs_done(&js, 9) == NULL, "unknown user done is harmless");
	jobs_clear(&js, NULL);
	is_int(js.running, 0, "cleared");
}

static int	woken[8];
static int	nwoken;

static void
wake(void *arg)
{
	woken[nwoken++] = *(int *)arg;
}

static void
test_slots(void)
{
	struct slots	 s;
	struct slotwait	 w[5];
	int		 id[5] = { 0, 1, 2, 3, 4 };

	memset(w, 0, sizeof(w));
	slots_init(&s, 2);
	is_int(slots_take(&s, &w[0], wake, &id[0]), 1, "first slot now");
	is_int(slots_take(&s, &w[1], wake, &id[1]), 1, "second slot now");
	is_int(slots_take(&s, &w[2], wake, &id[2]), 0, "third waits");
	is_int(slots_take(&s, &w[3], wake, &id[3]), 0, "fourth waits");
	is_int(slots_take(&s, &w[4], wake, &id[4]), 0, "fifth waits");
	is_int(slots_ahead(&s, &w[4]), 2, "two ahead of the fifth");
	slots_cancel(&s, &w[3]);
	is_int(slots_ahead(&s, &w[4]), 1, "one after a cancel");
	slots_put(&s);
	ok(nwoken == 1 && woken[0] == 2, "a slot given back goes to the "
	    "first in line");
	is_int(s.used, 2, "still two in use");
	slots_resize(&s, 3);
	ok(nwoken == 2 && woken[1] == 4, "a larger limit lets the next go");
	slots_put(&s);
	slots_put(&s);
	slots_put(&s);
	is_int(s.used, 0, "all given back");
	is_int(slots_take(&s, &w[0], wake, &id[0]), 1, "free again");
	slots_put(&s);
}

static void
test_truncate(void)
{
	char	*big, *t;
	size_t	 i;

	t = toolout_truncate("small", 5, 100);
	is_str(t, "small", "short output unchanged");
	free(t);
	big = malloc(100001);
	for (i = 0; i < 100000; i++)
		big[i] = i % 50 == 49 ? '\n' : 'a' + (i / 50) % 26;
	memcpy(big, "HEAD", 4);
	memcpy(big + 100000 - 5, "TAIL\n", 5);
	big[100000] = '\0';
	t = toolout_truncate(big, 100000, 4000);
	ok(strlen(t) <= 4200, "truncated to about the limit (%zu)",
	    strlen(t));
	ok(strncmp(t, "HEAD", 4) == 0, "head kept");
	ok(strstr(t, "TAIL\n") != NULL, "tail kept");
	ok(strstr(t, "cut from the middle of 100000 bytes") != NULL,
	    "says what was cut");
	free(t);
	/* multibyte: never cut inside a character */
	for (i = 0; i + 3 <= 99999; i += 3)
		memcpy(big + i, "\xe2\x82\xac", 3);
	big[i] = '\0';
	t = toolout_truncate(big, i, 1000);
	{
		const char	*m = strstr(t, "\n[...");
		const char	*e = strstr(t, "...]\n");

		ok(m != NULL && (m - t) % 3 == 0, "head ends on a character");
		ok(e != NULL && strlen(e + 5) % 3 == 0,
		    "tail starts on a character");
	}
	free(t);
	free(big);
}

int
main(void)
{
	test_rate();
	test_jobs();
	test_slots();
	test_truncate();
	return (done_testing());
}
