# kflake - regression and flakiness harness for Linux kernels.
#
#   make run     install what is missing, build, run the default job
#   make test    install what is missing, build with ASan/UBSan, run all tests
#   make         build ./kflake
#   make fuzz    build and run the parser fuzzers (clang, libFuzzer)

CC ?= cc
PKGS := libgit2 libcurl jansson sqlite3 libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wmissing-prototypes \
	-Wstrict-prototypes -Wformat=2 -Wvla -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2 -g
CFLAGS_ALL := -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -Iharness $(PKG_CFLAGS) $(CFLAGS)
LIBS := $(PKG_LIBS) -lz -lm -lpthread

# SAN=1: the variant tests run, with AddressSanitizer and UBSan.
ifeq ($(SAN),1)
BUILD := build/san
CFLAGS_ALL += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS_ALL := -fsanitize=address,undefined
else
BUILD := build/rel
LDFLAGS_ALL :=
endif

HARNESS_SRC := $(filter-out harness/kflake.c,$(wildcard harness/*.c)) \
	$(wildcard harness/builtin/*.c)
HARNESS_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(HARNESS_SRC)) $(BUILD)/migrations.o
MAIN_OBJ := $(BUILD)/harness/kflake.o
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(UNIT_SRC))
MIGRATIONS := $(sort $(wildcard db/[0-9]*.sql))

ifeq ($(SAN),1)
KFLAKE_BIN := $(BUILD)/kflake
else
KFLAKE_BIN := kflake
endif

.PHONY: all run test unit e2e deps fuzz bench clean check-deps

all: $(KFLAKE_BIN)

$(KFLAKE_BIN): $(MAIN_OBJ) $(HARNESS_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(BUILD)/tests/unit/run-unit: $(UNIT_OBJ) $(HARNESS_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# The benchmark's data generator writes through the store API itself.
$(BUILD)/bench/gendb: $(BUILD)/bench/gendb.o $(HARNESS_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# The spool ingest rate: the real spool writer and ingest (bench/ingest.c).
$(BUILD)/bench/ingest: $(BUILD)/bench/ingest.o $(HARNESS_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# The change point accuracy simulation runs the detector alerts use.
$(BUILD)/bench/changepoint: $(BUILD)/bench/changepoint.o $(HARNESS_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# The stopping-rule tables use the harness's own statistics.
$(BUILD)/bench/seqsim: $(BUILD)/bench/seqsim.o $(HARNESS_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/migrations.c: $(MIGRATIONS) harness/gen-migrations.sh
	@mkdir -p $(dir $@)
	sh harness/gen-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/migrations.o: $(BUILD)/migrations.c
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

-include $(shell find build -name '*.d' 2>/dev/null)

# Installs the Debian packages kflake needs when one is missing; a no-op
# (one dpkg query) on a machine that has them.
deps:
	@sh .ci/install-deps

run: deps
	$(MAKE) all
	./kflake run

# The test suite: unit tests and end-to-end tests under ASan/UBSan. The
# end-to-end tests share the kernel build cache with `make run`.
test: deps
	$(MAKE) SAN=1 WERROR=$(WERROR) build/san/kflake build/san/tests/unit/run-unit
	sh tests/run

unit:
	$(MAKE) SAN=1 build/san/tests/unit/run-unit
	build/san/tests/unit/run-unit

fuzz:
	sh tests/fuzz/run

bench: all build/rel/bench/changepoint build/rel/bench/seqsim build/rel/bench/ingest
	build/rel/bench/changepoint
	build/rel/bench/seqsim
	build/rel/bench/ingest
	sh bench/vms.sh
	sh bench/run
	sh bench/until.sh
	KFLAKE=./kflake sh bench/web.sh
	sh bench/stress-race.sh

clean:
	rm -rf build kflake
