# xtftpd — TFTP server with an eBPF data path.
#
#   make            build build/xtftpd and build/xtftpctl (-O2)
#   make deps       install the Debian packages for build, tests and demo
#   make demo       serve a 16 MiB image to a real client in a namespace
#   make check      every test (unit, BPF_PROG_TEST_RUN, netns integration),
#                   built with ASan+UBSan in build/san
#   make bench      benchmarks side by side (not part of check)
#   V=1             show full commands
#
# Layout: bpf/ BPF programs, user/ daemon and CLI, include/ shared contracts,
# tests/ unit, bpf, integration, fuzz and bench.

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
LDLIBS   := -lbpf -lelf -lz
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Iinclude -Ibpf $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))

HDRS_SHARED := $(wildcard include/*.h)
HDRS_BPF    := $(wildcard bpf/*.h)
HDRS_USER   := $(wildcard user/*.h)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

# user/xtftpd.c and user/xtftpctl.c hold main(); everything else is the library.
MAIN_SRCS := user/xtftpd.c user/xtftpctl.c
LIB_SRCS  := $(filter-out $(MAIN_SRCS),$(wildcard user/*.c))
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS))
LIB       := $(BUILD)/libxtftp.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BPFT_SRCS := $(wildcard tests/bpf/test_*.c)
BPFT_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/%,$(BPFT_SRCS))
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/tests/%,$(BENCH_SRCS))

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps demo check check-build tests bench fuzz install clean

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
$(BUILD)/user/%.o: user/%.c $(HDRS_SHARED) $(HDRS_USER) $(SKELS) | $(BUILD)/user
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(msg) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/xtftpd: $(BUILD)/user/xtftpd.o $(LIB)
	$(msg) LD $@
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/xtftpctl: $(BUILD)/user/xtftpctl.o $(LIB)
	$(msg) LD $@
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# ---- tests -------------------------------------------------------------------
$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB) $(HDRS_SHARED) $(HDRS_USER) | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ -lcmocka $(LDLIBS)

$(BUILD)/tests/test_%: tests/bpf/test_%.c $(LIB) $(SKELS) $(HDRS_SHARED) | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/bench/%.c $(LIB) $(HDRS_SHARED) | $(BUILD)/tests
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS) -lm

tests: all $(UNIT_BINS) $(BPFT_BINS) $(BENCH_BINS)

# ---- top-level jobs ------------------------------------------------------------
deps:
	$(Q)./tests/deps.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./tests/demo.sh $(BUILD)

# Every test, built with ASan+UBSan in build/san (separate from the -O2 build).
check: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build/san SAN=1 tests
	$(Q)./tests/run-all.sh build/san

bench: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)./tests/bench/run-bench.sh $(BUILD)

install: all
	install -D -m 0755 $(BUILD)/xtftpd $(DESTDIR)$(PREFIX)/sbin/xtftpd
	install -D -m 0755 $(BUILD)/xtftpctl $(DESTDIR)$(PREFIX)/bin/xtftpctl
	install -D -m 0644 xtftpd.8 $(DESTDIR)$(PREFIX)/share/man/man8/xtftpd.8

clean:
	rm -rf build
