/*
 * linalg.h
 *		The one place that calls OpenBLAS and LAPACK.
 *
 * All matrices are column-major (Fortran order): element (i, j) of an m x n
 * matrix with leading dimension ld is at a[i + j * ld].
 */
#ifndef AUTOML_LINALG_H
#define AUTOML_LINALG_H

#include <stdbool.h>

/* C = alpha * op(A) * op(B) + beta * C, op(A) is m x k and op(B) is k x n. */
extern void LinalgGemm(bool trans_a, bool trans_b, int m, int n, int k,
					   double alpha, const double *a, int lda,
					   const double *b, int ldb,
					   double beta, double *c, int ldc);

/* y = alpha * op(A) * x + beta * y, A is m x n. */
extern void LinalgGemv(bool trans_a, int m, int n, double alpha,
					   const double *a, int lda, const double *x,
					   double beta, double *y);

extern double LinalgDot(int n, const double *x, const double *y);

/* y += alpha * x */
extern void LinalgAxpy(int n, double alpha, const double *x, double *y);

/*
 * Solve A X = B for symmetric positive definite A (n x n, overwritten by its
 * Cholesky factor); B (n x nrhs) is overwritten by X.  Returns false when A is
 * not positive definite.
 */
extern bool LinalgSolveSpd(int n, int nrhs, double *a, double *b);

/*
 * Eigendecomposition of a symmetric n x n matrix A (LAPACK dsyevd).  A is
 * overwritten by the orthonormal eigenvectors, one per column, and
 * eigenvalues receives the eigenvalues in ascending order.  Returns false
 * when the algorithm does not converge.
 */
extern bool LinalgSymmetricEigen(int n, double *a, double *eigenvalues);

/*
 * Replace the scores z of one row (n of them) by their softmax probabilities
 * and return log(sum_k exp(z_k)).  The row maximum is subtracted first so
 * exp cannot overflow.
 */
extern double LinalgSoftmax(double *z, int n);

#endif							/* AUTOML_LINALG_H */
