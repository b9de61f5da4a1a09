# automl: AutoML inside PostgreSQL.  Built with PGXS against PostgreSQL 15.

EXTENSION = automl
MODULE_big = automl
DATA = sql/automl--0.1.sql $(wildcard sql/automl_prior.tsv)
OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c))

REGRESS = setup train_titanic train_iris predict catalog errors limits quality fixed types decisions options tables privileges knn naive_bayes mlp metric_knn linear_coefficients forest gbdt search encoder moments algorithms prior warm_start recreate groups
REGRESS_OPTS = --load-extension=automl

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src -I/usr/include/x86_64-linux-gnu
SHLIB_LINK = -lopenblas -llapacke -lm -lpthread

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Rebuild every object when a header changes: the headers define shared structs.
$(OBJS): $(wildcard src/*.h)
