# liblutcore: static and shared library and pkg-config file.
# Every lib/*.c is part of it, and so is the LUT engine (the same code the
# QEMU device runs), which the library's CPU paths use.

PREFIX   ?= /usr/local
LIB_SRCS := $(sort $(wildcard $(TOP)/lib/*.c) $(wildcard $(TOP)/qemu-device/engine/*.c))
LIB_HDRS := $(wildcard $(TOP)/lib/include/lutcore/*.h $(TOP)/lib/*.h \
	    $(TOP)/qemu-device/*.h $(TOP)/qemu-device/engine/*.h $(TOP)/uapi/drm/*.h)
LIB_OBJS := $(patsubst $(TOP)/%.c,$(HOST)/obj/%.o,$(LIB_SRCS))
LIB_A    := $(HOST)/liblutcore.a
LIB_SO   := $(HOST)/liblutcore.so
LIB_PC   := $(HOST)/lutcore.pc
# The one place the version is written: the public header.
LIB_VERSION := $(shell sed -n 's/^\#define LUT_VERSION[ \t]*"\(.*\)"/\1/p' \
	$(TOP)/lib/include/lutcore/lutcore.h)

$(HOST)/obj/%.o: $(TOP)/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(quiet) CC $(patsubst $(TOP)/%,%,$<)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -fPIC -fvisibility=default -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	@rm -f $@
	$(quiet) AR $(notdir $@)
	$(Q)ar rcs $@ $^

# The same library built with ASan+UBSan, once, for the sanitizer twins of
# the host tests (the host_test macro).
LIB_SAN_OBJS := $(patsubst $(TOP)/%.c,$(HOST)/san-obj/%.o,$(LIB_SRCS))
LIB_SAN_A    := $(HOST)/san/liblutcore-san.a

$(HOST)/san-obj/%.o: $(TOP)/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(quiet) SANCC $(patsubst $(TOP)/%,%,$<)
	$(Q)$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) -c -o $@ $<

$(LIB_SAN_A): $(LIB_SAN_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(quiet) AR $(notdir $@)
	$(Q)ar rcs $@ $^

$(LIB_SO): $(LIB_OBJS)
	$(quiet) LD $(notdir $@)
	$(Q)$(CC) -shared -Wl,-soname,liblutcore.so.1 -o $@ $^ $(LDLIBS)

$(LIB_PC): $(TOP)/lib/lutcore.pc.in $(TOP)/lib/include/lutcore/lutcore.h
	@mkdir -p $(@D)
	$(quiet) GEN $(notdir $@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(LIB_VERSION)|' $< > $@

# make install [PREFIX=/usr/local] [DESTDIR=]: the library, its headers
# (the interface headers it includes sit next to lutcore.h) and the tools.
.PHONY: install
install: $(LIB_A) $(LIB_SO) $(LIB_PC) $(TOOLS)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/lutcore \
		$(DESTDIR)$(PREFIX)/bin
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/liblutcore.so.1
	ln -sfn liblutcore.so.1 $(DESTDIR)$(PREFIX)/lib/liblutcore.so
	install -m 644 $(LIB_PC) $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 644 $(TOP)/lib/include/lutcore/*.h $(TOP)/uapi/drm/lutcore_accel.h \
		$(TOP)/qemu-device/lutcore_regs.h $(TOP)/qemu-device/lutcore_isa.h \
		$(DESTDIR)$(PREFIX)/include/lutcore/
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
