# Host unit tests of the stream builder and of CPU execution of streams.
# mmjob.c is the LUT-mpGEMM test job the in-VM job suites share.
STREAM_TEST_SRCS := $(TOP)/tests/stream/mmjob.c $(TOP)/tests/engine/ref.c
$(eval $(call host_test,lib-stream,$(TOP)/tests/stream/test_stream.c $(STREAM_TEST_SRCS)))
