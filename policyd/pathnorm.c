/*
 * pathnorm.c - a path as file rules see it: repeated slashes, "." and
 * ".." resolved by name alone (nothing is looked up on disk, policyd
 * has no file system), so /workspace/../etc/passwd is /etc/passwd and a
 * relative path that climbs out keeps its leading "..".
 */
#include <sys/types.h>

#include <string.h>

#include "policy.h"

#define PATH_MAXCOMP	512

int
pol_path_normalise(const char *in, char *out, size_t outlen)
{
	const char	*comp[PATH_MAXCOMP], *p, *e;
	size_t		 clen[PATH_MAXCOMP], n = 0, i, off = 0, len;
	int		 abs = in[0] == '/';

	if (in[0] == '\0' || strlen(in) >= outlen)
		return (-1);
	for (p = in; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		if ((e = strchr(p, '/')) == NULL)
			e = p + strlen(p);
		len = e - p;
		if (len == 0 || (len == 1 && p[0] == '.'))
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (n > 0 && !(clen[n - 1] == 2 &&
			    memcmp(comp[n - 1], "..", 2) == 0)) {
				n--;
				continue;
			}
			if (abs)
				continue;
		}
		if (n == PATH_MAXCOMP)
			return (-1);
		comp[n] = p;
		clen[n++] = len;
	}
	if (abs)
		out[off++] = '/';
	for (i = 0; i < n; i++) {
		if (i > 0)
			out[off++] = '/';
		memcpy(out + off, comp[i], clen[i]);
		off += clen[i];
	}
	if (off == 0)
		out[off++] = '.';
	out[off] = '\0';
	return (0);
}
