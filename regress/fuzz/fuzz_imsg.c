/*
 * fuzz_imsg.c - the imsg decoder on arbitrary bytes: frames are found or
 * refused, never read out of bounds.  The first byte picks the channel
 * maximum so that both small and large limits are exercised.
 */
#include <stddef.h>
#include <stdint.h>

#include "imsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
touch(struct imsg *imsg, void *arg)
{
	size_t	*sum = arg;
	json_t	*o;

	*sum += imsg_get_type(imsg) + imsg_get_len(imsg);
	if ((o = imsg_get_json(imsg)) != NULL)
		json_decref(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	size_t	 max, sum = 0;

	if (len < 1)
		return (0);
	max = data[0] & 1 ? IMSG_MAXSIZE_DEFAULT : 64;
	(void)imsg_decode_buffer(data + 1, len - 1, max, touch, &sum);
	return (0);
}
