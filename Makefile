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
UNITDIR ?=	/lib/systemd/system
SYSUSERSDIR ?=	/usr/lib/sysusers.d
TMPFILESDIR ?=	/usr/lib/tmpfiles.d

CC ?=		cc
YACC ?=		byacc
PKGS =		libevent libevent_pthreads jansson libcurl libpcre2-8 libseccomp libbsd-overlay

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
$(B)/bin/$(1): $(B)/$(1)/$(1).o $(B)/lib$(1).a $(B)/libcommon.a
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rules,$(p))))

LIBS =		$(PROGS:%=$(B)/lib%.a) $(B)/libcommon.a
BINS =		$(PROGS:%=$(B)/bin/%)

UNIT_SRCS :=	$(wildcard regress/unit/*.c)
UNIT_BINS :=	$(UNIT_SRCS:regress/unit/%.c=$(B)/regress/%)
TOOL_SRCS :=	$(wildcard regress/tools/*.c)
TOOL_BINS :=	$(TOOL_SRCS:regress/tools/%.c=$(B)/tools/%)

HDRS :=		$(wildcard common/*.h */*.h)

.PHONY: all clean check check-plain deps install fuzz lint-man bench regress-bins libs \
		mutate image demo
.SUFFIXES:

all: $(BINS) $(UNIT_BINS) $(TOOL_BINS)

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

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/topsh \
	    $(DESTDIR)$(SYSCONFDIR)/topsh/policy \
	    $(DESTDIR)$(SYSCONFDIR)/topsh/prompts $(DESTDIR)$(DATADIR) \
	    $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(SBINDIR)
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 etc/topsh.conf \
	    $(DESTDIR)$(SYSCONFDIR)/topsh/topsh.conf.sample
	if [ -d etc/policy ]; then install -m 0644 etc/policy/* \
	    $(DESTDIR)$(SYSCONFDIR)/topsh/policy/; fi
	if [ -d etc/prompts ]; then install -m 0644 etc/prompts/* \
	    $(DESTDIR)$(SYSCONFDIR)/topsh/prompts/; fi
	cp -R etc/sandbox $(DESTDIR)$(DATADIR)/
	for u in etc/systemd/*.service etc/systemd/*.target; do \
	    sed 's|/usr/local/sbin|$(SBINDIR)|g; s|/etc/topsh|$(SYSCONFDIR)/topsh|g' \
	    $$u >$(DESTDIR)$(UNITDIR)/$$(basename $$u) && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	if [ -f etc/sysusers.d/topsh.conf ]; then \
	    install -d $(DESTDIR)$(SYSUSERSDIR) && install -m 0644 \
	    etc/sysusers.d/topsh.conf $(DESTDIR)$(SYSUSERSDIR)/; fi
	if [ -f etc/tmpfiles.d/topsh.conf ]; then \
	    install -d $(DESTDIR)$(TMPFILESDIR) && install -m 0644 \
	    etc/tmpfiles.d/topsh.conf $(DESTDIR)$(TMPFILESDIR)/; fi

clean:
	rm -rf build build-san build-fuzz
