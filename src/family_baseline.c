/*
 * family_baseline.c
 *		The baseline: the majority class (as class frequencies) or the mean.
 *
 * Every search evaluates it, and a model is deployed only when it beats it.
 */
#include "postgres.h"

#include "family.h"

typedef struct BaselineModel
{
	TaskKind	task;
	int			n_outputs;		/* classes, or 1 for regression */
	double	   *values;			/* class frequencies, or the mean */
} BaselineModel;

/*
 * For classification the prediction is the class frequencies, so the
 * majority class wins and log loss stays finite.  Row weights are ignored:
 * balanced class weights would make every class equally frequent and the
 * baseline an arbitrary class instead of the majority.
 */
static void *
BaselineFit(const TrainData *data, const double *config, const FitControl *control)
{
	BaselineModel *model = palloc(sizeof(BaselineModel));
	double		total = 0.0;

	model->task = data->task;
	model->n_outputs = data->task == TASK_CLASSIFICATION ? data->n_classes : 1;
	model->values = palloc0(sizeof(double) * model->n_outputs);

	for (int i = 0; i < data->n_rows; i++)
	{
		double		w = 1.0;

		if (data->task == TASK_CLASSIFICATION)
			model->values[(int) data->y[i]] += w;
		else
			model->values[0] += w * data->y[i];
		total += w;
	}
	for (int k = 0; k < model->n_outputs; k++)
		model->values[k] = total > 0 ? model->values[k] / total : 0.0;
	return model;
}

static void
BaselinePredict(const void *opaque, const double *x, int n_rows, int n_cols,
				double *out)
{
	const BaselineModel *model = opaque;

	for (int i = 0; i < n_rows; i++)
		memcpy(out + (Size) i * model->n_outputs, model->values,
			   sizeof(double) * model->n_outputs);
}

static void
BaselineSerialize(const void *opaque, StringInfo buf)
{
	const BaselineModel *model = opaque;

	SerialPutInt32(buf, (int32) model->task);
	SerialPutInt32(buf, model->n_outputs);
	SerialPutFloat64Array(buf, model->values, model->n_outputs);
}

static void *
BaselineDeserialize(SerialReader *reader)
{
	BaselineModel *model = palloc(sizeof(BaselineModel));

	model->task = (TaskKind) SerialGetInt32InRange(reader, TASK_CLASSIFICATION,
												   TASK_REGRESSION, "task kind");
	model->n_outputs = SerialGetInt32InRange(reader, 1, 100000, "output count");
	model->values = palloc(sizeof(double) * model->n_outputs);
	SerialGetFloat64Array(reader, model->values, model->n_outputs);
	return model;
}

const ModelFamily baseline_family = {
	.name = "baseline",
	.description = "majority class or mean of the target",
	.supports_classification = true,
	.supports_regression = true,
	.params = NULL,
	.n_params = 0,
	.fit = BaselineFit,
	.predict = BaselinePredict,
	.serialize = BaselineSerialize,
	.deserialize = BaselineDeserialize,
	.importance = NULL,
};
