# liblutcore: static and shared library and pkg-config file.
# Every lib/*.c is part of it, and so is the LUT engine (the same code the
# QEMU device runs), which the library's CPU paths use.

LIB_SRCS := $(sort $(wildcard $(TOP)/lib/*.c) $(wildcard $(TOP)/qemu-device/engine/*.c))
LIB_HDRS := $(wildcard $(TOP)/lib/include/lutcore/*.h $(TOP)/lib/*.h \
	    $(TOP)/qemu-device/*.h $(TOP)/qemu-device/engine/*.h $(TOP)/uapi/drm/*.h)
LIB_OBJS := $(patsubst $(TOP)/%.c,$(HOST)/obj/%.o,$(LIB_SRCS))
LIB_A    := $(HOST)/liblutcore.a
LIB_SO   := $(HOST)/liblutcore.so
LIB_PC   := $(HOST)/lutcore.pc

$(HOST)/obj/%.o: $(TOP)/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -fPIC -fvisibility=default -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(LIB_SO): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,liblutcore.so.1 -o $@ $^ $(LDLIBS)

$(LIB_PC): lib/lutcore.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|' $< > $@
