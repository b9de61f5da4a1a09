/*
 * linalg.c
 *		Thin wrappers over CBLAS (OpenBLAS) and LAPACKE, column-major, and
 *		a numerically safe softmax.
 */
#include "postgres.h"

#include <math.h>

#include <cblas.h>
#include <lapacke.h>

#include "utils/memutils.h"

#include "linalg.h"

void
LinalgGemm(bool trans_a, bool trans_b, int m, int n, int k,
		   double alpha, const double *a, int lda,
		   const double *b, int ldb,
		   double beta, double *c, int ldc)
{
	cblas_dgemm(CblasColMajor,
				trans_a ? CblasTrans : CblasNoTrans,
				trans_b ? CblasTrans : CblasNoTrans,
				m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void
LinalgGemv(bool trans_a, int m, int n, double alpha,
		   const double *a, int lda, const double *x,
		   double beta, double *y)
{
	cblas_dgemv(CblasColMajor, trans_a ? CblasTrans : CblasNoTrans,
				m, n, alpha, a, lda, x, 1, beta, y, 1);
}

double
LinalgDot(int n, const double *x, const double *y)
{
	return cblas_ddot(n, x, 1, y, 1);
}

void
LinalgAxpy(int n, double alpha, const double *x, double *y)
{
	cblas_daxpy(n, alpha, x, 1, y, 1);
}

bool
LinalgSolveSpd(int n, int nrhs, double *a, double *b)
{
	lapack_int	info;

	info = LAPACKE_dposv(LAPACK_COL_MAJOR, 'L', n, nrhs, a, n, b, n);
	return info == 0;
}

/*
 * The _work variant with a workspace query lets the workspace come from
 * palloc, since the plain LAPACKE_dsyevd would malloc it.
 */
bool
LinalgSymmetricEigen(int n, double *a, double *eigenvalues)
{
	double		work_size;
	lapack_int	iwork_size;
	double	   *work;
	lapack_int *iwork;
	lapack_int	info;

	if (n <= 0)
		return true;
	info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'L', n, a, n, eigenvalues,
							   &work_size, -1, &iwork_size, -1);
	if (info != 0)
		return false;
	work = palloc_extended(sizeof(double) * Max((Size) work_size, 1), MCXT_ALLOC_HUGE);
	iwork = palloc_extended(sizeof(lapack_int) * Max((Size) iwork_size, 1), MCXT_ALLOC_HUGE);
	info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'L', n, a, n, eigenvalues,
							   work, (lapack_int) work_size, iwork, iwork_size);
	pfree(work);
	pfree(iwork);
	return info == 0;
}

double
LinalgSoftmax(double *z, int n)
{
	double		max_score = z[0];
	double		sum = 0.0;

	for (int k = 1; k < n; k++)
		max_score = Max(max_score, z[k]);
	for (int k = 0; k < n; k++)
	{
		z[k] = exp(z[k] - max_score);
		sum += z[k];
	}
	for (int k = 0; k < n; k++)
		z[k] /= sum;
	return max_score + log(sum);
}
