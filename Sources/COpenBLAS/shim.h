// OpenBLAS behind one module: cblas for GEMM/GEMV and the LAPACK routines GPTQ needs.
// On macOS the same prototypes come from Homebrew's openblas (Accelerate has a different ABI).
#include <cblas.h>

// LAPACK (Fortran ABI): Cholesky factorization and triangular inverse, single and double precision.
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dtrtri_(const char *uplo, const char *diag, const int *n, double *a, const int *lda, int *info);
void strtri_(const char *uplo, const char *diag, const int *n, float *a, const int *lda, int *info);
