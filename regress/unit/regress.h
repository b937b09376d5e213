/*
 * regress.h - a tiny TAP-like harness for topsh unit tests.
 * Each check prints "ok N - name" or "not ok N - name"; regress/run.sh
 * counts those lines.  done_testing() returns the exit status.
 */
#ifndef TOPSH_REGRESS_H
#define TOPSH_REGRESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int regress_n, regress_failed;

#define ok(cond, ...) do {						\
	int ok_c_ = (cond) ? 1 : 0;					\
	regress_n++;							\
	if (!ok_c_)							\
		regress_failed++;					\
	printf("%sok %d - ", ok_c_ ? "" : "not ", regress_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!ok_c_)							\
		printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__,	\
		    #cond);						\
	fflush(stdout);							\
} while (0)

#define is_int(a, b, ...) do {						\
	long long is_a_ = (a), is_b_ = (b);				\
	ok(is_a_ == is_b_, __VA_ARGS__);				\
	if (is_a_ != is_b_)						\
		printf("#   got %lld, expected %lld\n", is_a_, is_b_);	\
} while (0)

#define is_str(a, b, ...) do {						\
	const char *is_sa_ = (a), *is_sb_ = (b);			\
	int is_eq_ = is_sa_ != NULL && is_sb_ != NULL &&		\
	    strcmp(is_sa_, is_sb_) == 0;				\
	ok(is_eq_, __VA_ARGS__);					\
	if (!is_eq_)							\
		printf("#   got \"%s\", expected \"%s\"\n",		\
		    is_sa_ ? is_sa_ : "(null)", is_sb_ ? is_sb_ : "(null)");\
} while (0)

static inline int
done_testing(void)
{
	printf("# %d tests, %d failed\n", regress_n, regress_failed);
	return regress_failed == 0 && regress_n > 0 ? 0 : 1;
}

#endif
