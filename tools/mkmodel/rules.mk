# lutcore-mkmodel: deterministic test models as GGUF files (see lutcore-mkmodel.1).
MKMODEL_SRCS := $(TOP)/tools/mkmodel/model.c $(TOP)/tools/mkmodel/vocab.c \
	$(TOP)/tools/mkmodel/corpus.c
$(eval $(call tool,lutcore-mkmodel,$(TOP)/tools/mkmodel/main.c $(MKMODEL_SRCS)))
