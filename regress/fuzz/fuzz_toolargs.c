/*
 * fuzz_toolargs.c - repair of malformed tool-call arguments from the
 * model: arbitrary text gives an object or a reason, never a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	*text, err[256];
	json_t	*o;

	if ((text = malloc(len + 1)) == NULL)
		return (0);
	memcpy(text, data, len);
	text[len] = '\0';
	err[0] = '\0';
	o = toolargs_repair(text, err, sizeof(err));
	if (o != NULL && !json_is_object(o))
		abort();
	if (o == NULL && err[0] == '\0')
		abort();	/* a refusal must say why */
	json_decref(o);
	free(text);
	return (0);
}
