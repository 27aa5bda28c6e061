#include "trace/trace-hw_misc_lutcore.h"
