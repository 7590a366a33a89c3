# inventory reorder bot: build, run, check.
# `make` builds bin/; `make run` runs the sample shop; `make check` runs every test.

VERSION   = 0.1.0
CC       ?= cc
PKGS      = jansson sqlite3 gmime-3.0 libcurl openssl expat libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl is compiled against (its headers) but not linked: lib/curlapi.c
# loads it with dlopen on first use, so a run that makes no HTTP call does
# not pay its ~4.5 MB of RSS. OpenSSL's libcrypto likewise (lib/cryptoapi.c,
# 1.7 MB): only the tests that call OpenSSL themselves link it
# (CRYPTO_LIBS). dlopen is in libc since glibc 2.34 (-ldl is
# for older ones; an empty archive on newer). --as-needed keeps a program
# from loading a library it does not call (ir-sync and ir-check: no gmime,
# glib or libmicrohttpd); Debian's gcc already does that, but not with
# -fsanitize, and clang (the fuzz targets) does not.
LINK_PKGS  = $(filter-out libcurl openssl,$(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null)
CRYPTO_LIBS := $(shell pkg-config --libs libcrypto 2>/dev/null)
# snprintf truncation is the intended bound everywhere, so that warning is off.
WARN      = -Wall -Wextra -Wshadow -Wconversion -Wno-unused-parameter \
	-Wno-format-truncation
# clang has no -Wformat-truncation: `make CC=clang WERROR=1` (CI) says so
ifneq ($(findstring clang,$(shell $(CC) --version 2>/dev/null | head -n 1)),)
WARN     += -Wno-unknown-warning-option
endif
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DIR_VERSION='"$(VERSION)"' -Ilib $(WARN) $(CFLAGS) $(PKG_CFLAGS)
LDLIBS    = -Wl,--as-needed -lcsv $(PKG_LIBS) -ldl -lm

ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif
ifeq ($(WERROR),1)
ALL_CFLAGS += -Werror
endif

# every cmd/*.c is a program
PROGS   = $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
LIBSRC  = $(wildcard lib/*.c)
LIBOBJ  = $(LIBSRC:.c=.o)
BINS    = $(PROGS:%=bin/%)
UNITSRC = $(wildcard tests/unit/test_*.c)
UNITS   = $(UNITSRC:tests/unit/%.c=tests/unit/bin/%)

.PHONY: all deps run check unit bats lint valgrind clean install

all: $(BINS)

lib/libir.a: $(LIBOBJ)
	$(AR) rcs $@ $(LIBOBJ)

lib/%.o: lib/%.c $(wildcard lib/*.h)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

bin/%: cmd/%.c lib/libir.a
	@mkdir -p bin
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< lib/libir.a $(LDLIBS)

tests/unit/bin/%: tests/unit/%.c tests/unit/unit.h lib/libir.a
	@mkdir -p tests/unit/bin
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< lib/libir.a $(LDLIBS)

# makes and checks RS256 keys with OpenSSL itself
tests/unit/bin/test_google: LDLIBS += $(CRYPTO_LIBS)

deps:
	@scripts/deps

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run-sample

check: deps
	@$(MAKE) --no-print-directory WERROR=1 all $(UNITS)
	@scripts/lint
	@scripts/check $(UNITS)

unit: $(UNITS)
	@scripts/run-unit $(UNITS)

bats: all
	bats tests/bats

valgrind: all $(UNITS)
	@VALGRIND=1 scripts/run-unit $(UNITS)
	@scripts/valgrind-pipeline

lint:
	@scripts/lint

clean:
	rm -rf bin lib/*.o lib/libir.a tests/unit/bin var

PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1
	-install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5
	-install -m 644 man/*.7 $(DESTDIR)$(PREFIX)/share/man/man7

# Fuzzing (issue 5). Every tests/fuzz/fuzz_<name>.c is a libFuzzer target,
# built with clang, ASan and UBSan against lib/*.c compiled for it into
# tests/fuzz/bin/ (the normal objects are not touched). `make fuzz` fuzzes
# each target for FUZZ_SECONDS on a copy of tests/fuzz/corpus/<name>/;
# `make fuzz-regress` (CI) runs every committed input once, then fuzzes
# each target for FUZZ_SECONDS (5 there). scripts/fuzz prints the figures.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR      = tests/fuzz/bin
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DIR_VERSION='"$(VERSION)"' -Ilib $(WARN) -Wno-unknown-warning-option \
	-g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) $(PKG_CFLAGS)
FUZZ_SRC      = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS     = $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_DIR)/%)
FUZZ_LIBOBJ   = $(LIBSRC:lib/%.c=$(FUZZ_DIR)/lib/%.o)

.PHONY: fuzz fuzz-regress fuzz-build fuzz-clean

$(FUZZ_DIR)/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(FUZZ_DIR)/lib
	@echo "fuzz cc $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/libir.a: $(FUZZ_LIBOBJ)
	@rm -f $@
	@$(AR) rcs $@ $(FUZZ_LIBOBJ)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_DIR)/libir.a
	@echo "fuzz ld $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< \
		$(FUZZ_DIR)/libir.a $(LDLIBS)

# its oracle computes HMAC with OpenSSL itself (EVP_Q_mac)
$(FUZZ_DIR)/fuzz_sig: LDLIBS += $(CRYPTO_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz -t $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-regress: FUZZ_SECONDS = 5
fuzz-regress: deps
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz -r -t $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-clean:
	rm -rf $(FUZZ_DIR)

# Benchmark (issue 5): `make bench` builds the generator and the ceilings
# into bench/out/bin/ and runs bench/run, which writes bench/results.md.
# BENCH_RUNS (3) runs per figure; BENCH_QUICK=1 for 100k rows only.
BENCH_BIN    = bench/out/bin
BENCH_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 \
	$(WARN) -Werror

.PHONY: bench

$(BENCH_BIN)/gen: bench/gen.c
	@mkdir -p $(BENCH_BIN)
	$(CC) $(BENCH_CFLAGS) -o $@ bench/gen.c

$(BENCH_BIN)/csvparse: bench/csvparse.c
	@mkdir -p $(BENCH_BIN)
	$(CC) $(BENCH_CFLAGS) -o $@ bench/csvparse.c -lcsv

$(BENCH_BIN)/jsonscan: bench/jsonscan.c lib/libir.a
	@mkdir -p $(BENCH_BIN)
	$(CC) $(ALL_CFLAGS) -Werror -o $@ bench/jsonscan.c lib/libir.a $(LDLIBS)

bench: all $(BENCH_BIN)/gen $(BENCH_BIN)/csvparse $(BENCH_BIN)/jsonscan
	@bench/run
