# xtftpd — TFTP server with an eBPF data path.
#
#   make            build build/xtftpd and build/xtftpctl (-O2)
#   make deps       install the Debian packages for build, tests and demo
#   make demo       serve a 16 MiB image to a real client in a namespace
#   make check      the layering check, every test (unit, BPF_PROG_TEST_RUN,
#                   netns integration), built with ASan+UBSan in build/san,
#                   plus 60 s per fuzz target
#   make bench      benchmarks side by side (not part of check)
#   make soak       an hour of mixed load with loss (SOAK_SECONDS; not in check)
#   V=1             show full commands
#
# Layout: bpf/ BPF programs, user/ daemon and CLI in folders by tier (see
# README "Source tree"), include/ shared contracts, tests/ unit, bpf, integration,
# fuzz and bench. tests/check-layers.sh (in make check) keeps the layering.

BUILD    ?= build
SAN      ?= 0
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PREFIX   ?= /usr/local
DESTDIR  ?=
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

ifeq ($(V),1)
Q :=
msg := @true
else
Q := @
msg = @printf '  %-8s %s\n'
endif

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser -I$(BUILD)
LDLIBS   := -lbpf -lelf -lz -lmicrohttpd
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Iinclude -Ibpf $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))

HDRS_SHARED := $(wildcard include/*.h)
HDRS_BPF    := $(wildcard bpf/*.h)
HDRS_USER   := $(wildcard user/*/*.h)

# The daemon's BPF program(s); the benchmark's reflector lives in
# tests/bench/ and is built with the bench programs below.
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

# user/cmd/xtftpd.c and user/cmd/xtftpctl.c hold main(); everything else is
# the library. The folders are the tiers (tests/check-layers.sh): proto, util,
# files, kern, obs, ctl, daemon, cmd.
MAIN_SRCS := user/cmd/xtftpd.c user/cmd/xtftpctl.c
LIB_SRCS  := $(filter-out $(MAIN_SRCS),$(wildcard user/*/*.c))
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS))
# --http's bench page (user/ctl/page/index.html), compiled in as bytes.
PAGE_OBJ  := $(BUILD)/gen/http_page.o
LIB_OBJS  += $(PAGE_OBJ)
LIB       := $(BUILD)/libxtftp.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BPFT_SRCS := $(wildcard tests/bpf/test_*.c)
BPFT_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/%,$(BPFT_SRCS))
# tests/bpf/bench_*.c: measurements on the same harness, not tests
# (tests/run-all.sh runs test_* only).
BPFB_SRCS := $(wildcard tests/bpf/bench_*.c)
BPFB_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/%,$(BPFB_SRCS))
BENCH_SRCS := $(filter-out %.bpf.c,$(wildcard tests/bench/*.c))
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/tests/%,$(BENCH_SRCS))
HELPER_SRCS := $(filter-out %.bpf.c,$(wildcard tests/integration/*.c))
HELPER_BINS := $(patsubst tests/integration/%.c,$(BUILD)/tests/%,$(HELPER_SRCS)) \
	$(BUILD)/tests/xdp_pass.bpf.o

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps demo check check-build tests bench soak fuzz install clean

all: $(BUILD)/xtftpd $(BUILD)/xtftpctl

$(BUILD) $(BUILD)/user $(BUILD)/tests:
	$(Q)mkdir -p $@

# ---- BPF: clang -target bpf -> object -> skeleton header -------------------
$(BUILD)/%.bpf.o: bpf/%.bpf.c $(HDRS_SHARED) $(HDRS_BPF) | $(BUILD)
	$(msg) BPF $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(msg) SKEL $@
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# ---- userspace ---------------------------------------------------------------
# Header dependencies come from the compiler (-MMD -MP into a .d beside each
# object): a header change rebuilds what includes it, and a BPF change only
# the loader (fastpath.c includes the skeleton). An object without its .d
# (built before this rule, or the .d lost) is rebuilt (FORCE): it could
# otherwise miss a header change. Only user/kern includes a skeleton
# (tests/check-layers.sh keeps it so): its objects wait for the skeletons
# (order-only) so a clean build finds them; the rest build without BPF.
USER_OBJS := $(LIB_OBJS) $(patsubst user/%.c,$(BUILD)/user/%.o,$(MAIN_SRCS))

.PHONY: FORCE
.SECONDEXPANSION:
$(BUILD)/user/%.o: user/%.c $$(if $$(wildcard $$(basename $$@).d),,FORCE) | $(BUILD)/user
	$(msg) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MT $@ -MF $(basename $@).d -c $< -o $@

$(patsubst user/%.c,$(BUILD)/user/%.o,$(wildcard user/kern/*.c)): | $(SKELS)

include $(wildcard $(USER_OBJS:.o=.d))

# The page as a C array, made with od (coreutils; no xxd needed): the
# binary serves it with nothing to install beside it.
$(BUILD)/gen/http_page.c: user/ctl/page/index.html
	$(msg) GEN $@
	$(Q)mkdir -p $(@D)
	$(Q){ echo '/* generated from $< by the Makefile; do not edit */'; \
	  echo '#include <stddef.h>'; \
	  echo 'const unsigned char http_page[] = {'; \
	  od -An -v -tx1 $< | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; \
	  echo 'const size_t http_page_len = sizeof(http_page);'; } > $@.tmp && mv $@.tmp $@

$(PAGE_OBJ): $(BUILD)/gen/http_page.c
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(msg) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/xtftpd: $(BUILD)/user/cmd/xtftpd.o $(LIB)
	$(msg) LD $@
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/xtftpctl: $(BUILD)/user/cmd/xtftpctl.o $(LIB)
	$(msg) LD $@
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# ---- tests -------------------------------------------------------------------
$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB) $(HDRS_SHARED) $(HDRS_USER) tests/bpf/ack_cases.h | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ -lcmocka $(LDLIBS)

$(BUILD)/tests/test_%: tests/bpf/test_%.c $(LIB) $(SKELS) $(HDRS_SHARED) $(wildcard tests/bpf/*.h) | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS)

$(BUILD)/tests/bench_%: tests/bpf/bench_%.c $(LIB) $(SKELS) $(HDRS_SHARED) $(wildcard tests/bpf/*.h) | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/bench/%.c $(LIB) $(HDRS_SHARED) | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) -I$(BUILD)/tests $(CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS) -lm

# The bench-only reflector (tests/bench/reflector.bpf.c, the benchmark's
# ceiling): object and skeleton in $(BUILD)/tests, for tests/bench/reflector.c
# alone; nothing of the daemon depends on it.
$(BUILD)/tests/reflector.bpf.o: tests/bench/reflector.bpf.c | $(BUILD)/tests
	$(msg) BPF $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/reflector.skel.h: $(BUILD)/tests/reflector.bpf.o
	$(msg) SKEL $@
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(BUILD)/tests/reflector: $(BUILD)/tests/reflector.skel.h

# The integration tests' helper programs (tests/integration/*.c: raw and
# hostile clients, slowget, crc32, vlan_client), found by lib.sh in
# $(BUILD)/tests. Plain -O2 -g, also in the sanitizer build (SAN=1): they
# are the rig, not what is tested, and ASan would slow the clients whose
# pacing and timing the tests rely on; gcc with -Werror as the scripts built
# them. vlan_client takes sha256.c from source, not from the (maybe
# sanitized) library.
HELPER_CFLAGS := -std=gnu11 -O2 -g $(WARN)
HELPER_EXTRA_vlan_client := -D_GNU_SOURCE -Iuser -Iinclude user/util/sha256.c
HELPER_LIBS_crc32 := -lz

$(BUILD)/tests/vlan_client: user/util/sha256.c user/util/sha256.h

$(BUILD)/tests/%: tests/integration/%.c | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(HELPER_CFLAGS) $< $(HELPER_EXTRA_$*) -o $@ $(HELPER_LIBS_$*)

# The XDP_PASS program lib.sh attaches to the client end of the veth (see
# the file for why); flags as lib.sh used.
$(BUILD)/tests/xdp_pass.bpf.o: tests/integration/xdp_pass.bpf.c | $(BUILD)/tests
	$(msg) BPF $@
	$(Q)$(CLANG) -O2 -target bpf $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH)) -c $< -o $@

tests: all $(UNIT_BINS) $(BPFT_BINS) $(BPFB_BINS) $(BENCH_BINS) $(HELPER_BINS)

# ---- top-level jobs ------------------------------------------------------------
deps:
	$(Q)./tests/deps.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tests/xdp_pass.bpf.o
	$(Q)./tests/demo.sh $(BUILD)

# Every test, built with ASan+UBSan in build/san (separate from the -O2 build),
# after a time-boxed libFuzzer run of each fuzz target (CHECK_FUZZ_SECONDS).
CHECK_FUZZ_SECONDS ?= 60
check: deps
	$(Q)./tests/check-layers.sh
	$(Q)$(MAKE) --no-print-directory BUILD=build/san SAN=1 tests
	$(Q)$(MAKE) --no-print-directory BUILD=build/san fuzz-smoke FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)
	$(Q)./tests/run-all.sh build/san

bench: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)./tests/bench/run-bench.sh $(BUILD)

# Soak (not in CI): SOAK_SECONDS (default 3600) of mixed load with loss,
# transfers, bytes, RSS and fds printed every SOAK_SAMPLE seconds.
soak: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)./tests/soak.sh $(BUILD)

# Loss benchmark (not in CI, ~10 min): lock-step 512 under 0/0.5/2/5 % loss
# each way, xtftpd (both flavours) beside tftpd-hpa, atftpd and dnsmasq, a
# patient and a bootloader-like client; writes tests/bench/loss-results.md.
.PHONY: bench-loss
bench-loss: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)./tests/bench/loss-bench.sh $(BUILD)

# PREFIX=/usr for a distribution layout; UNITDIR under PREFIX works for both
# /usr and /usr/local (systemd searches /usr/local/lib/systemd/system too).
# An existing /etc/default/xtftpd is kept, like a dpkg conffile.
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MAN8DIR    ?= $(PREFIX)/share/man/man8
LIBEXECDIR ?= $(PREFIX)/lib/xtftpd
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
PKG_SUBST  := sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g'

install: all
	install -D -m 0755 $(BUILD)/xtftpd $(DESTDIR)$(SBINDIR)/xtftpd
	install -D -m 0755 $(BUILD)/xtftpctl $(DESTDIR)$(BINDIR)/xtftpctl
	install -D -m 0644 xtftpd.8 $(DESTDIR)$(MAN8DIR)/xtftpd.8
	install -D -m 0644 xtftpctl.8 $(DESTDIR)$(MAN8DIR)/xtftpctl.8
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/default
	$(PKG_SUBST) packaging/xtftpd-start > $(DESTDIR)$(LIBEXECDIR)/xtftpd-start
	chmod 0755 $(DESTDIR)$(LIBEXECDIR)/xtftpd-start
	$(PKG_SUBST) packaging/xtftpd.service > $(DESTDIR)$(UNITDIR)/xtftpd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/xtftpd.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/xtftpd ] || \
		install -m 0644 packaging/xtftpd.default $(DESTDIR)$(SYSCONFDIR)/default/xtftpd

# make deb: a Debian package (packaging/debian, debhelper) built with
# dpkg-buildpackage in a copy of this tree (without build/ and .git), then
# checked by lintian (errors fail). Result: $(BUILD)/deb/xtftpd_VERSION_ARCH.deb;
# install it with apt install ./$(BUILD)/deb/xtftpd_*.deb.
DEB_DIR := $(BUILD)/deb
.PHONY: deb
deb:
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	$(Q)tar -c --exclude=./build --exclude=./.git --exclude='./$(BUILD)' . | tar -x -C $(DEB_DIR)/src
	$(Q)rm -rf $(DEB_DIR)/src/debian && cp -r packaging/debian $(DEB_DIR)/src/debian
	$(msg) DEB $(DEB_DIR)
	$(Q)cd $(DEB_DIR)/src && dpkg-buildpackage -b -us -uc > ../build.log 2>&1 || \
		{ tail -n 40 ../build.log; echo "make deb: dpkg-buildpackage failed, see $(DEB_DIR)/build.log"; exit 1; }
	$(Q)rm -rf $(DEB_DIR)/src
	$(Q)rc=0; lintian --fail-on error --info $(DEB_DIR)/*.deb > $(DEB_DIR)/lintian.log 2>&1 || rc=$$?; \
		grep -v 'root privileges' $(DEB_DIR)/lintian.log; echo "  LINTIAN  $$(grep -c '^E:' $(DEB_DIR)/lintian.log) errors, $$(grep -c '^W:' $(DEB_DIR)/lintian.log) warnings, $$(grep -c '^I:' $(DEB_DIR)/lintian.log) info (lintian.log)"; exit $$rc
	$(Q)ls $(DEB_DIR)/*.deb

clean:
	rm -rf build

# ---- fuzzing (libFuzzer; clang, straight from the pure module sources) ------
#   make fuzz-smoke   each target FUZZ_SECONDS (default 60), fails on any crash
#   make fuzz         the same, 600 s per target unless FUZZ_SECONDS is given
# New inputs go to a scratch copy, never into the committed seed corpus;
# crash reproducers land in $(BUILD)/fuzz/crash-*.
FUZZ_TARGETS := request netascii path control remap linkpath xfer
FUZZ_BINS    := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))
# The module sources each target is built from (instrumented with it).
FUZZ_MODULES_request  := user/proto/packet.c user/proto/negotiate.c
FUZZ_MODULES_netascii := user/proto/netascii.c
FUZZ_MODULES_path     := user/files/path.c
FUZZ_MODULES_control  := user/ctl/control.c user/util/inject.c user/util/log.c
FUZZ_MODULES_remap    := user/files/remap.c user/files/names.c user/files/path.c
FUZZ_MODULES_linkpath := user/daemon/linkpath.c user/util/log.c
FUZZ_MODULES_xfer     := user/proto/xfer.c
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	$(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser

.PHONY: fuzz-build fuzz-smoke

$(BUILD)/fuzz:
	$(Q)mkdir -p $@

$(foreach t,$(FUZZ_TARGETS),$(eval $(BUILD)/fuzz/fuzz_$(t): $(FUZZ_MODULES_$(t))))

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(HDRS_SHARED) $(HDRS_USER) | $(BUILD)/fuzz
	$(msg) FUZZ $@
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_MODULES_$*) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz-smoke: FUZZ_SECONDS ?= 60
fuzz: FUZZ_SECONDS ?= 600
# The smoke run (make check, CI) starts from a fixed seed so a green CI is
# repeatable; make fuzz explores from a fresh random seed every time.
fuzz-smoke: FUZZ_SEED_ARG ?= -seed=1
fuzz: FUZZ_SEED_ARG ?=
fuzz-smoke fuzz: fuzz-build
	$(Q)set -e; for t in $(FUZZ_TARGETS); do \
		work=$$(mktemp -d /tmp/xtftp-fuzz-corpus.XXXXXX); \
		echo "  FUZZ     $$t for $(FUZZ_SECONDS) s"; \
		rc=0; $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_SEED_ARG) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/ $$work tests/fuzz/corpus/$$t \
			>$(BUILD)/fuzz/$$t.log 2>&1 || rc=$$?; \
		rm -rf "$$work"; \
		grep -h 'stat::number_of_executed_units' $(BUILD)/fuzz/$$t.log | sed "s/^/           $$t /"; \
		if [ $$rc -ne 0 ]; then tail -n 40 $(BUILD)/fuzz/$$t.log; \
			echo "fuzz: $$t failed (exit $$rc), see $(BUILD)/fuzz/$$t.log"; exit 1; fi; \
	done
