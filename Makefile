# topsh - Makefile
#
# Layout convention (so that adding a file never needs a Makefile edit):
#   common/*.c, common/parse.y   -> build/libcommon.a
#   D/*.c except D/D.c           -> build/libD.a          (D = a daemon or topshctl)
#   D/D.c                        -> build/bin/D           (main, linked with libD.a)
#   regress/unit/*.c             -> build/regress/NAME    (linked with every lib)
#   regress/fuzz/*.c             -> build-fuzz/NAME       (clang -fsanitize=fuzzer)
# SAN=1 builds everything into build-san/ with ASan and UBSan.

PREFIX ?=	/usr/local
SBINDIR ?=	$(PREFIX)/sbin
MANDIR ?=	$(PREFIX)/share/man
SYSCONFDIR ?=	/etc
DATADIR ?=	$(PREFIX)/share/topsh
# topsh-runner, which sandboxd bind-mounts into every container
LIBEXECDIR ?=	$(PREFIX)/libexec/topsh
# systemd reads units, sysusers.d and tmpfiles.d from /usr/local/lib as
# well as /usr/lib; the package passes UNITDIR=/lib/systemd/system
UNITDIR ?=	$(PREFIX)/lib/systemd/system
SYSUSERSDIR ?=	$(PREFIX)/lib/sysusers.d
TMPFILESDIR ?=	$(PREFIX)/lib/tmpfiles.d
LOGROTATEDIR ?=	$(SYSCONFDIR)/logrotate.d
INITDIR ?=	$(SYSCONFDIR)/init.d
# make install runs systemd-sysusers, systemd-tmpfiles and daemon-reload
# when installing as root into / (not into a DESTDIR); POSTINST=no skips
POSTINST ?=	yes

CC ?=		cc
YACC ?=		byacc
PKGS =		libevent libevent_pthreads jansson libcurl libpcre2-8 libseccomp libbsd-overlay libhs

ifeq ($(SAN),1)
B ?=		build-san
SANFLAGS =	-fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=undefined
OPT ?=		-O1 -g
else
B ?=		build
SANFLAGS =
OPT ?=		-O2 -g
endif

# The rule engine is the hot path policyd exists for: -O3 measured 3.5%
# faster on 4 KiB command lines, and link-time optimization (the parser,
# prefilter, regex and command index inlined into each other) 4-6% more
# (bench/results/policy.md).  Fat objects: the unit tests link the same
# archive without -flto.
ifneq ($(SAN),1)
POLICYD_LTO =	-flto=auto -ffat-lto-objects
$(B)/policyd/%.o: OPT = -O3 -g $(POLICYD_LTO)
$(B)/bin/policyd: LDFLAGS += -O3 -g $(POLICYD_LTO)
endif

PKG_CFLAGS :=	$(shell pkg-config --cflags $(PKGS))
PKG_LIBS :=	$(shell pkg-config --libs $(PKGS))

# Each daemon links only the libraries it uses: a shared library costs
# every process that maps it its file pages and the dynamic loader's
# relocations at each start.  libcurl (and the thirty libraries behind
# it: TLS, Kerberos, LDAP...) is proxyd's alone; sandboxd speaks HTTP to
# docker.sock itself (sandboxd/uhttp.c).  The unit tests and tools link
# everything (PKG_LIBS).
PKGS_BASE =	libevent jansson libseccomp libbsd-overlay
PKGS_gatewayd =	$(PKGS_BASE)
PKGS_topshctl =	$(PKGS_BASE)
PKGS_policyd =	$(PKGS_BASE) libpcre2-8
PKGS_sandboxd =	$(PKGS_BASE) libpcre2-8
PKGS_proxyd =	$(PKGS_BASE) libpcre2-8 libcurl libhs

CFLAGS ?=	$(OPT)
WERROR ?=	-Werror
CFLAGS +=	-std=gnu11 -Wall -Wextra $(WERROR) -Wno-unused-parameter \
		-Wmissing-prototypes -Wstrict-prototypes -Wshadow \
		-Wpointer-arith -Wformat=2 -D_GNU_SOURCE \
		-DTOPSH_VERSION=\"$(VERSION)\" -Icommon $(PKG_CFLAGS) $(SANFLAGS)
LDFLAGS +=	$(SANFLAGS)
LDLIBS +=	$(PKG_LIBS) -lm

VERSION =	0.1.0
.DEFAULT_GOAL :=	all
DAEMONS =	gatewayd proxyd policyd sandboxd
PROGS =		$(DAEMONS) topshctl

COMMON_SRCS :=	$(wildcard common/*.c)
COMMON_OBJS :=	$(COMMON_SRCS:%.c=$(B)/%.o) $(B)/common/parse.o

define prog_rules
$(1)_SRCS :=	$$(filter-out $(1)/$(1).c,$$(wildcard $(1)/*.c))
$(1)_OBJS :=	$$($(1)_SRCS:%.c=$(B)/%.o)
$(B)/lib$(1).a: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
$(1)_LIBS :=	$$(shell pkg-config --libs $$(PKGS_$(1))) -lm
$(B)/bin/$(1): $(B)/$(1)/$(1).o $(B)/lib$(1).a $(B)/libcommon.a
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$($(1)_LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rules,$(p))))

LIBS =		$(PROGS:%=$(B)/lib%.a) $(B)/libcommon.a
BINS =		$(PROGS:%=$(B)/bin/%)

# topsh-runner, the resident command runner sandboxd puts in every
# container (runner/): static, libc only, never built with the
# sanitizers (they do not link statically); its frame code is sandboxd's
# too
RUNNER =	$(B)/bin/topsh-runner
RUNNER_CFLAGS =	-std=gnu11 -O2 -g -Wall -Wextra $(WERROR) \
		-Wno-unused-parameter -Wmissing-prototypes -Wshadow \
		-D_GNU_SOURCE -static
$(RUNNER): runner/topsh-runner.c runner/frame.c runner/frame.h
	@mkdir -p $(@D)
	$(CC) $(RUNNER_CFLAGS) -o $@ runner/topsh-runner.c runner/frame.c
$(B)/libsandboxd.a: $(B)/runner/frame.o
$(B)/sandboxd/runner.o: CFLAGS += -DTOPSH_LIBEXECDIR=\"$(LIBEXECDIR)\"

UNIT_SRCS :=	$(wildcard regress/unit/*.c)
UNIT_BINS :=	$(UNIT_SRCS:regress/unit/%.c=$(B)/regress/%)
TOOL_SRCS :=	$(wildcard regress/tools/*.c)
TOOL_BINS :=	$(TOOL_SRCS:regress/tools/%.c=$(B)/tools/%)

HDRS :=		$(wildcard common/*.h */*.h)

.PHONY: all clean check check-plain deps install install-files uninstall deb \
		fuzz lint-man bench regress-bins libs mutate image demo
.SUFFIXES:

all: $(BINS) $(RUNNER) $(UNIT_BINS) $(TOOL_BINS)

regress-bins: $(UNIT_BINS)

libs: $(LIBS)

$(B)/common/parse.c: common/parse.y
	@mkdir -p $(@D)
	$(YACC) -o $@ $<

$(B)/common/parse.o: $(B)/common/parse.c $(HDRS)
	$(CC) $(CFLAGS) -Wno-shadow -Wno-missing-prototypes -c -o $@ $<

$(B)/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# the shipped DLP detector table is built into proxyd as it is
$(B)/proxyd/dlp_table.o: etc/dlp.rules
$(B)/proxyd/dlp_table.o: CFLAGS += -DDLP_RULES_FILE=\"$(CURDIR)/etc/dlp.rules\"

$(B)/libcommon.a: $(COMMON_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(B)/regress/%: regress/unit/%.c $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iregress/unit $(LDFLAGS) -o $@ $< \
	    -Wl,--start-group $(LIBS) -Wl,--end-group $(LDLIBS)

$(B)/tools/%: regress/tools/%.c $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    -Wl,--start-group $(LIBS) -Wl,--end-group $(LDLIBS)

# make check: the plain build (warnings as errors at -O2), the
# sanitizer build, then every test under regress/ run against the
# sanitizer build, and the man page lint.
check:
	$(MAKE) all
	$(MAKE) SAN=1 all
	TOPSH_BUILD=$(CURDIR)/build-san sh regress/run.sh

# the same tests against the plain build
check-plain: all
	TOPSH_BUILD=$(CURDIR)/build sh regress/run.sh

# deliberate bugs, one per security property, each of which the tests
# named for it must catch (regress/mutate/mutations); slow, not in check
mutate:
	node regress/mutate/mutate.js

lint-man:
	mandoc -Tlint -Wwarning man/*.[0-9]

deps:
	sh .ci/deps.sh

# the sandbox image from the host's Debian packages, no registry needed
# (etc/sandbox/build-debian-image.sh; built again only when its inputs
# change), tagged as IMAGE, the name sandboxd uses by default
IMAGE ?=	topsh-sandbox:latest
image:
	sh etc/sandbox/build-debian-image.sh $(IMAGE)

# topsh seen working with stand-ins for Telegram and the model, no
# secrets, no network (demo/demo.sh); INTERACTIVE=1 to type the messages
demo: all
	sh demo/demo.sh $(if $(INTERACTIVE),-i)

fuzz:
	sh regress/fuzz/run.sh

bench: all
	sh bench/run.sh

# Paths substituted into what is installed: units, rc script, sample.
SUBST =		sed -e 's|/usr/local/sbin|$(SBINDIR)|g' \
		    -e 's|/usr/local/share/topsh|$(DATADIR)|g' \
		    -e 's|/etc/topsh|$(SYSCONFDIR)/topsh|g'
UNITS =		$(wildcard etc/systemd/*.service etc/systemd/*.target)

# make install: what topsh ships goes under $(DATADIR) and is replaced
# on every install; what the operator edits under $(SYSCONFDIR)/topsh is
# created once and never overwritten (topsh.conf, policy/local.rules,
# secrets/).  topsh.conf.sample is always the current sample.
install: all
	$(MAKE) install-files
	@if [ -z "$(DESTDIR)" ] && [ "$(POSTINST)" = yes ] && \
	    [ "$$(id -u)" -eq 0 ]; then \
	    sh etc/postinst.sh $(SYSUSERSDIR) $(TMPFILESDIR); fi

# the copying alone (debian/rules uses it after its own build)
install-files:
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR)/policy \
	    $(DESTDIR)$(DATADIR)/prompts $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
	    $(DESTDIR)$(LOGROTATEDIR) $(DESTDIR)$(INITDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/topsh $(DESTDIR)$(SYSCONFDIR)/topsh/policy
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/topsh/secrets
	install -m 0755 $(BINS) $(DESTDIR)$(SBINDIR)
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(RUNNER) $(DESTDIR)$(LIBEXECDIR)
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 etc/policy/*.rules $(DESTDIR)$(DATADIR)/policy/
	install -m 0644 etc/prompts/* $(DESTDIR)$(DATADIR)/prompts/
	rm -rf $(DESTDIR)$(DATADIR)/sandbox
	cp -R etc/sandbox $(DESTDIR)$(DATADIR)/
	chmod 0755 $(DESTDIR)$(DATADIR)/sandbox/*.sh
	install -m 0644 etc/dlp.rules $(DESTDIR)$(DATADIR)/
	$(SUBST) -e 's|^\([[:space:]]*system-prompt\) prompts/|\1 $(DATADIR)/prompts/|' \
	    -e 's|^\([[:space:]]*rules\) policy/default.rules|\1 $(DATADIR)/policy/default.rules\n\1 policy/local.rules|' \
	    etc/topsh.conf >$(DESTDIR)$(DATADIR)/topsh.conf.sample
	install -m 0644 $(DESTDIR)$(DATADIR)/topsh.conf.sample \
	    $(DESTDIR)$(SYSCONFDIR)/topsh/topsh.conf.sample
	[ -e $(DESTDIR)$(SYSCONFDIR)/topsh/topsh.conf ] || install -m 0644 \
	    $(DESTDIR)$(DATADIR)/topsh.conf.sample \
	    $(DESTDIR)$(SYSCONFDIR)/topsh/topsh.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/topsh/policy/local.rules ] || \
	    install -m 0644 etc/local.rules \
	    $(DESTDIR)$(SYSCONFDIR)/topsh/policy/local.rules
	for u in $(UNITS); do \
	    $(SUBST) $$u >$(DESTDIR)$(UNITDIR)/$${u##*/} && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; done
	install -m 0644 etc/sysusers.d/topsh.conf $(DESTDIR)$(SYSUSERSDIR)/
	install -m 0644 etc/tmpfiles.d/topsh.conf $(DESTDIR)$(TMPFILESDIR)/
	$(SUBST) etc/logrotate.d/topsh >$(DESTDIR)$(LOGROTATEDIR)/topsh
	chmod 0644 $(DESTDIR)$(LOGROTATEDIR)/topsh
	$(SUBST) etc/init.d/topsh >$(DESTDIR)$(INITDIR)/topsh
	chmod 0755 $(DESTDIR)$(INITDIR)/topsh

# make uninstall: everything make install put in place except what the
# operator edits or made (topsh.conf, policy/local.rules, secrets/, state,
# logs, the users); those are listed at the end.
uninstall:
	for b in $(PROGS); do rm -f $(DESTDIR)$(SBINDIR)/$$b; done
	rm -f $(DESTDIR)$(LIBEXECDIR)/topsh-runner
	-rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null
	for m in man/*.8; do rm -f $(DESTDIR)$(MANDIR)/man8/$${m##*/}; done
	for m in man/*.5; do rm -f $(DESTDIR)$(MANDIR)/man5/$${m##*/}; done
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$${u##*/}; done
	rm -rf $(DESTDIR)$(DATADIR)
	rm -f $(DESTDIR)$(SYSUSERSDIR)/topsh.conf \
	    $(DESTDIR)$(TMPFILESDIR)/topsh.conf \
	    $(DESTDIR)$(LOGROTATEDIR)/topsh $(DESTDIR)$(INITDIR)/topsh \
	    $(DESTDIR)$(SYSCONFDIR)/topsh/topsh.conf.sample
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	    systemctl daemon-reload || true; fi
	@echo "kept: $(DESTDIR)$(SYSCONFDIR)/topsh (configuration, local rules, secrets), /var/lib/topsh, /var/log/topsh and the topsh-* users"

# make deb: topsh_VERSION_ARCH.deb here, built by debian/rules into
# build-deb/ (needs dpkg-dev, debhelper, fakeroot: make deps), then lintian
deb:
	dpkg-checkbuilddeps
	fakeroot debian/rules clean binary
	lintian --fail-on error topsh_$(VERSION)_$$(dpkg --print-architecture).deb

clean:
	rm -rf build build-san build-fuzz build-deb
