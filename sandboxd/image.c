/*
 * image.c - whether the configured sandbox image exists.
 *
 * Asked of the engine whenever it comes (back) up and when a reload
 * names another image, so that a missing image is said at start, in the
 * log and in systemd's STATUS=, instead of at the first command a user
 * runs.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "daemon.h"
#include "log.h"
#include "sandboxd.h"

static char	image[256];

static void
image_done(const struct dresp *r, void *arg)
{
	char	 note[320];

	if (r->status == 200) {
		log_info("image %s present", image);
		daemon_status_note(NULL);
		return;
	}
	if (r->status == 404) {
		log_warnx("image %s is missing: no sandbox can start until it "
		    "is built (make image, or etc/sandbox/build-debian-image.sh;"
		    " see sandboxd(8))", image);
		snprintf(note, sizeof(note), "image %s missing", image);
		daemon_status_note(note);
		return;
	}
	log_warnx("image %s: cannot inspect it: %s", image,
	    r->err != NULL ? r->err : "no answer");
}

void
image_probe(const char *name)
{
	char	 path[320];

	if (strlcpy(image, name, sizeof(image)) >= sizeof(image)) {
		log_warnx("image name too long: %s", name);
		return;
	}
	snprintf(path, sizeof(path), "/images/%s/json", image);
	if (docker_call("GET", path, NULL, 30000, image_done, NULL) == NULL)
		log_warnx("image %s: cannot ask the engine", image);
}
