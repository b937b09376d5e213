/*
 * frame.h - the framed protocol between sandboxd and topsh-runner, the
 * resident command runner in each sandbox container (runner.c in
 * sandboxd, topsh-runner.c in the container).  Shared by both; the
 * runner is a static program, so frame.c needs nothing beyond libc.
 *
 * Every frame, both ways:
 *   u16 magic, u8 type, u8 flags (0), u32 id, u32 len	(big-endian)
 *   len bytes of payload
 *   u32 end marker
 * sandboxd -> runner (stdin of the container):
 *   HELLO  u32 version, 8 bytes nonce
 *   RUN    u32 timeout (s), then NUL-terminated strings: cwd, command
 *          (for sh -c), environment entries
 *   KILL   NUL-terminated tags of commands to spare; the runner kills
 *          every other process but its own session (kill.c's rule)
 *   RESET  the same, and earlier commands are no longer reported
 * runner -> sandboxd (stdout, inside the Engine's multiplexed stream):
 *   HELLO  u32 version, the 8 bytes nonce, u32 pid
 *   OUT    stdout bytes of command id;  ERR  stderr bytes
 *   EXIT   i32 exit status (-1: could not run), optional message
 *   KILLED u32 0 every other process is gone, 1 not all
 *   BAD    the runner met a malformed frame and skipped to the next
 *          HELLO
 * A peer that attaches anew first sends RF_SYNC zero bytes: they end
 * whatever frame a previous peer left half-written (its end marker
 * fails) and never look like a header.
 */
#ifndef TOPSH_RUNNER_FRAME_H
#define TOPSH_RUNNER_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define RF_VERSION	1
#define RF_MAGIC	0x7452		/* "tR" */
#define RF_END		0x2e655e64u
#define RF_HDR		12
#define RF_TRAILER	4
#define RF_MAXIN	(32 * 1024)	/* payload, sandboxd -> runner */
#define RF_MAXOUT	(16 * 1024)	/* payload, runner -> sandboxd */
#define RF_SYNC		(RF_HDR + RF_MAXIN + RF_TRAILER)
#define RF_MAXSTRS	64		/* strings in RUN, KILL, RESET */
#define RF_MAXMSG	256		/* EXIT's message */
#define RF_MOUNT	"/.topsh/runner"	/* where it is in a container */

#define RF_HELLO	1
#define RF_RUN		2
#define RF_KILL		3
#define RF_RESET	4
#define RF_OUT		5
#define RF_ERR		6
#define RF_EXIT		7
#define RF_KILLED	8
#define RF_BAD		9
#define RF_TYPEMAX	9

#define RF_HELLO_IN	12		/* HELLO payload, to the runner */
#define RF_HELLO_OUT	16		/* and back */

struct rframe {
	int			 type;
	uint32_t		 id;
	const unsigned char	*pay;
	size_t			 len;
};

uint32_t rf_get32(const unsigned char *);
void	 rf_put32(unsigned char *, uint32_t);
/* bytes of the frame at buf (*f filled), 0 incomplete, -1 malformed */
long	 rf_parse(const unsigned char *, size_t, size_t, struct rframe *);
/* the frame in out; its length, or 0 when it does not fit */
size_t	 rf_build(unsigned char *, size_t, int, uint32_t, const void *,
	    size_t);
/* offset of the first place a header of type with len could start */
size_t	 rf_hunt(const unsigned char *, size_t, int, size_t);
/* the NUL-terminated strings filling p: their count, or -1 */
int	 rf_strings(const unsigned char *, size_t, const char **, int);

#endif
