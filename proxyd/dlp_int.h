/*
 * dlp_int.h - internals shared by the dlp_*.c files; not for users of
 * the engine (see dlp.h).
 */
#ifndef TOPSH_DLP_INT_H
#define TOPSH_DLP_INT_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "dlp.h"

/*
 * Built-in detectors, personal data only; the order of
 * dlp_builtin_name[] (dlp.c).  Every credential format is a line of
 * the detector table (etc/dlp.rules, dlp_rules.c).
 */
enum dlp_det {
	DLP_D_EMAIL,
	DLP_D_PHONE,
	DLP_D_CREDIT_CARD,
	DLP_D_SSN,
	DLP_D_IBAN,
	DLP_D_COUNT
};

/* Match classes, lowest wins the label of a merged cluster. */
#define DLP_P_SECRET	0
#define DLP_P_CUSTOM	1
#define DLP_P_CREDENTIAL 2	/* table: keys, tokens, JWT, private keys */
#define DLP_P_PII	3	/* built-in e-mail, phone, card, SSN, IBAN */
#define DLP_P_GENERIC	4	/* catch-alls: key = "<high entropy>" */

struct view;

struct dlp_match {
	size_t		 anchor;	/* where the detector started, <= so */
	size_t		 so;		/* start offset */
	size_t		 eo;		/* end offset (exclusive) */
	const char	*label;		/* upper-case name */
	int		 prio;
};

struct dlp_custom {
	TAILQ_ENTRY(dlp_custom)	 entry;
	char			 name[DLP_NAME_MAX];
	char			 label[DLP_NAME_MAX];
	void			*code;		/* pcre2_code_8 */
	int			 jit;
	int			 enabled;
};
TAILQ_HEAD(dlp_customs, dlp_custom);

struct dlp_form {
	char		*s;
	size_t		 len;
	size_t		 secret;	/* index into names */
};

struct dlp_secrets {
	char		(*names)[DLP_NAME_MAX];
	size_t		 nnames;
	struct dlp_form	*forms;
	size_t		 nforms;
	/* every form in one vectorscan literal database, and its scratch */
	int		 built;
	void		*db;
	void		*scratch;
	/*
	 * or, plain (dlp_new_secrets), no database: a filter of the
	 * forms' first four bytes, hashed (dlp_secret.c)
	 */
	int		 plain;
	uint64_t	*pbits;
};

/* checksums and structure checks (dlp_check.c) */
#define DLP_CK_LUHN	1
#define DLP_CK_IBAN	2
#define DLP_CK_GITHUB	3
#define DLP_CK_NPM	4
#define DLP_CK_JWT	5
#define DLP_CK_PEM	6

/* a keyword of a table detector (dlp_rules.c) */
struct dlp_kw {
	char		 s[64];		/* folded to lower case */
	char		 orig[64];
	size_t		 len;
	size_t		 rule;
};

/* a table detector: etc/dlp.rules or an operator's file */
struct dlp_rule {
	char		 name[DLP_NAME_MAX];
	char		 label[DLP_NAME_MAX];
	void		*code;		/* pcre2_code_8 */
	int		 jit;		/* JIT code made (on first use) */
	int		 jit_tried;
	int		 group;		/* redact capture group 1 */
	int		 enabled;
	int		 nokw;		/* no keywords: the whole text */
	int		 prio;
	int		 check;		/* DLP_CK_* that must hold */
	int		 trust;		/* DLP_CK_* that waives entropy */
	int		 mixed;		/* a digit, or upper and lower case */
	int		 noident;	/* not sqlite3_column_bytes16 */
	int		 wordstart;	/* keywords only at a word's start */
	int		 exact;		/* keywords only in their case */
	double		 entropy;	/* minimum bits per byte, 0 none */
	size_t		 near;
	/* scratch of the current scan */
	int		 wpending;
	size_t		 wfrom, wto, wanchor;
	size_t		 done;		/* end of its last match tried */
	unsigned long	 runs;		/* pattern runs, for the bench */
};

struct dlp_rules {
	struct dlp_rule	*r;
	size_t		 n;
	struct dlp_kw	*kws;
	size_t		 nkws;
	/* the keyword filter: vectorscan database and scratch */
	int		 built;
	void		*db;
	void		*scratch;
};

struct dlp {
	int			 mode;
	uint32_t		 enabled;	/* bit per enum dlp_det */
	struct dlp_customs	 customs;
	struct dlp_secrets	 secrets;
	void			*mctx;		/* pcre2_match_context_8 */
	void			*jstack;	/* pcre2_jit_stack_8 */
	void			*mdata;		/* pcre2_match_data_8 */
	struct dlp_rules	 rules;
	void			*rctx;		/* for the table's patterns */
	void			*rjstack;
	void			*rdata;
	unsigned long		 errors;
	char			 tab_err[256];	/* the shipped table's */
	struct dlp_tokens	*tok;		/* tokenize into this map */
	struct view		*view;		/* dlp_secret.c scratch */

	/* scratch: matches of the current call */
	struct dlp_match	*m;
	size_t			 nm;
	size_t			 mcap;
	int			 nomem;
};

struct dlp_scan {
	struct dlp	*d;
	const char	*p;
	size_t		 len;
	size_t		 start;
	size_t		 anchor;	/* the word or byte being tried */
};

extern const char *const dlp_builtin_name[DLP_D_COUNT + 1];
extern const char *const dlp_builtin_label[DLP_D_COUNT];

/* dlp.c */
struct dlp_match *dlp_add_match(struct dlp *, size_t, size_t, const char *,
	    int);
void	 dlp_builtin_match(struct dlp_scan *, size_t, size_t,
	    enum dlp_det);
size_t	 dlp_merge(struct dlp *);
int	 dlp_collect(struct dlp *, const char *, size_t, size_t);
char	*dlp_build(struct dlp *, const char *, size_t, size_t, size_t,
	    size_t *);
char	*dlp_redact_window(struct dlp *, const char *, size_t, size_t,
	    size_t *, size_t *, size_t *);

/* dlp_scan.c: one pass over the text for every built-in detector */
void	 dlp_scan_init(void);
void	 dlp_scan_builtin(struct dlp *, const char *, size_t, size_t);

/* dlp_scan.c: byte classes */
#define DLP_C_DIGIT	0x01
#define DLP_C_UPPER	0x02
#define DLP_C_LOWER	0x04
#define DLP_C_ALNUM	(DLP_C_DIGIT | DLP_C_UPPER | DLP_C_LOWER)
#define DLP_C_B64URL	0x08	/* alnum - _ */
#define DLP_C_B64	0x10	/* alnum + / */
#define DLP_C_LOCAL	0x20	/* e-mail local part, UTF-8 bytes too */
#define DLP_C_HOST	0x40	/* alnum -, UTF-8 bytes too */
#define DLP_C_SPECIAL	0x80	/* starts a detector outside a word */
extern const uint8_t dlp_cls[256];
#define DLP_IS(c, k)	((dlp_cls[(unsigned char)(c)] & (k)) != 0)

/* dlp_pii.c: e-mail and IBAN */
size_t	 dlp_pii_email(struct dlp_scan *, size_t);
size_t	 dlp_pii_iban(struct dlp_scan *, size_t);

/* dlp_num.c: phone, credit card, SSN */
void	 dlp_num_scan(struct dlp_scan *, size_t);

/* dlp_secret.c */
int	 dlp_secret_add(struct dlp_secrets *, const char *, const void *,
	    size_t);
int	 dlp_secret_build(struct dlp_secrets *);
int	 dlp_hs_literals(size_t, const char *(*)(void *, size_t, size_t *),
	    void *, int, void **, void **);
void	 dlp_hs_allocator(void);
/* dlp_hschild.c */
int	 dlp_hs_isolated(void);
unsigned int dlp_hs_child_count(void);
int	 dlp_hs_compile_child(const char *const *, const unsigned int *,
	    const unsigned int *, const size_t *, unsigned int, void **);
void	 dlp_secret_scan(struct dlp *, const char *, size_t, size_t);
void	 dlp_secret_free(struct dlp_secrets *);
void	 dlp_secret_view_free(struct dlp *);

/* dlp_custom.c */
struct dlp_custom *dlp_custom_compile(const char *, const char *,
	    const char *, char *, size_t);
int	 dlp_custom_setup(struct dlp *);
void	 dlp_custom_scan(struct dlp *, const char *, size_t, size_t);
void	 dlp_custom_free(struct dlp *);

/* dlp_rules.c */
int	 dlp_rules_load(struct dlp_rules *, const char *, const char *,
	    char *, size_t);
int	 dlp_rules_build(struct dlp_rules *);
void	 dlp_rules_free(struct dlp_rules *);
void	 dlp_rules_scan(struct dlp *, const char *, size_t, size_t);
void	 dlp_rules_teardown(struct dlp *);
double	 dlp_entropy(const char *, size_t);

/* dlp_table.c: the shipped table, etc/dlp.rules */
extern const char dlp_table_text[];

/* dlp_check.c */
int	 dlp_check(int, const char *, size_t);

/* dlp.c: the label helper shared with secrets and customs */
int	 dlp_make_label(char *, size_t, const char *);

#endif
