# sppbench build. `make` builds the library and the CLI; `make test` and `make bench` install
# what they need first (scripts/setup.sh). Feature fragments live in mk/*.mk.
CC ?= gcc
CXX ?= g++
BUILD ?= build
PREFIX ?= /usr/local
OPT ?= -O3
SAN ?=
CFLAGS ?=
WARN := -Wall -Wextra
ALL_CFLAGS = -std=c11 $(OPT) -g $(WARN) -fPIC -fopenmp -Iinclude -Isrc -Ikernels $(SAN) $(CFLAGS)
LDLIBS_SPP = -fopenmp -lm $(SAN)
PY := .venv/bin/python
Q ?= @

LIB_SRCS := $(sort $(wildcard src/*.c) $(wildcard kernels/*.c))
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
CLI_SRCS := $(sort $(wildcard cli/*.c))
CLI_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS))

# ISA flags only on the kernel files that need them; the name's ending says which.
$(BUILD)/obj/kernels/%avx2.o: ISA_FLAGS := -mavx2 -mfma
$(BUILD)/obj/kernels/%avx512.o: ISA_FLAGS := -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma

.PHONY: all lib cli install setup setup-bench test test-driver test-oracle bench clean
.DEFAULT_GOAL := all

all: lib cli
lib: $(BUILD)/libspp.a $(BUILD)/libspp.so
cli: $(BUILD)/spp

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ISA_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libspp.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libspp.so: $(LIB_OBJS)
	$(Q)$(CC) -shared -o $@ $^ $(LDLIBS_SPP)

$(BUILD)/spp: $(CLI_OBJS) $(BUILD)/libspp.a
	$(Q)$(CC) -o $@ $(CLI_OBJS) $(BUILD)/libspp.a $(LDLIBS_SPP)

install: lib cli
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/spp.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/libspp.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libspp.so $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/spp $(DESTDIR)$(PREFIX)/bin/

setup:
	$(Q)scripts/setup.sh test

setup-bench:
	$(Q)scripts/setup.sh bench

# The test run: build everything the tests drive, the C correctness driver, then one pytest run
# over the oracle suite and the harness's tests (pytest's summary line ends the run).
test: setup
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/spp-check $(BUILD)/spp-bench $(BUILD)/spp-bench-regions peers
	$(Q)$(MAKE) --no-print-directory test-driver
	$(Q)$(MAKE) --no-print-directory test-oracle

clean:
	rm -rf $(BUILD)

include $(sort $(wildcard mk/*.mk))
-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
