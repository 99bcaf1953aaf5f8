// montecell GPU sources: the prelude.
//
// Every source of kernels/cuda is compiled as one translation unit, the headers concatenated
// in a fixed order by kernels/src/sources.rs (prelude, philox, lhs, special, distributions,
// copula, excel) followed by a kernel file or a generated model: NVRTC gets no include paths
// and no toolkit headers. The same text also compiles as plain C++17 on the host (g++), where
// this prelude stands in for the CUDA built-ins, so the host build runs the very code the GPU
// runs and is compared with the Rust engine without a device.
//
// Floating point: compile with --fmad=false (NVRTC) and -ffp-contract=off (g++); the Rust
// engine never contracts a*b+c into a fused multiply-add, and neither may we. Where the Rust
// code asks for a fused multiply-add (f64::mul_add) these sources call fma() explicitly.

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define MC_CUDA 1
#define MC_FN static __device__ __forceinline__
#define MC_NOINLINE static __device__ __noinline__
#define MC_KERNEL extern "C" __global__
#define MC_CONST static __device__ const
typedef unsigned int mc_u32;
typedef unsigned long long mc_u64;
typedef long long mc_i64;
#define MC_INFINITY __longlong_as_double(0x7ff0000000000000LL)
#define MC_NAN __longlong_as_double(0x7ff8000000000000LL)
MC_FN double mc_from_bits(mc_u64 b) { return __longlong_as_double((long long)b); }
MC_FN mc_u64 mc_to_bits(double x) { return (mc_u64)__double_as_longlong(x); }
MC_FN mc_u32 mc_mulhi(mc_u32 a, mc_u32 b) { return __umulhi(a, b); }
#else
// Host build: the CUDA built-ins as plain C++.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#define MC_FN static inline
#define MC_NOINLINE static
#define MC_KERNEL extern "C"
#define MC_CONST static const
#define __device__
#define __global__
#define __shared__ static
#define __syncthreads() ((void)0)
typedef uint32_t mc_u32;
typedef uint64_t mc_u64;
typedef int64_t mc_i64;
struct mc_dim3 { unsigned int x, y, z; };
// The host driver sets these before calling a kernel once per (block, thread).
static mc_dim3 threadIdx = {0, 0, 0}, blockIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
#define MC_INFINITY (mc_from_bits(0x7ff0000000000000ULL))
#define MC_NAN (mc_from_bits(0x7ff8000000000000ULL))
static inline double mc_from_bits(mc_u64 b) { double x; std::memcpy(&x, &b, 8); return x; }
static inline mc_u64 mc_to_bits(double x) { mc_u64 b; std::memcpy(&b, &x, 8); return b; }
static inline mc_u32 mc_mulhi(mc_u32 a, mc_u32 b) { return (mc_u32)(((mc_u64)a * (mc_u64)b) >> 32); }
using std::fabs; using std::sqrt; using std::exp; using std::log; using std::log1p; using std::expm1;
using std::pow; using std::fma; using std::floor; using std::ceil; using std::trunc; using std::round;
using std::copysign; using std::fmin; using std::fmax; using std::sin; using std::cos; using std::tan;
using std::atan; using std::hypot;
#endif

/// f64::EPSILON.
#define MC_EPS 2.220446049250313080847263336181640625e-16
/// f64::MIN_POSITIVE.
#define MC_MIN_POSITIVE 2.2250738585072013830902327173324040642192159804623318306e-308
#define MC_PI 3.14159265358979323846264338327950288
#define MC_FRAC_2_SQRT_PI 1.12837916709551257389615890312154517
#define MC_SQRT_2 1.41421356237309504880168872420969808

MC_FN bool mc_isnan(double x) { return x != x; }
/// f64::is_finite: neither infinite nor NaN (bit test: the compiler may not assume finite math).
MC_FN bool mc_isfinite(double x) { return (mc_to_bits(x) & 0x7ff0000000000000ULL) != 0x7ff0000000000000ULL; }
MC_FN bool mc_isinf(double x) { return (mc_to_bits(x) & 0x7fffffffffffffffULL) == 0x7ff0000000000000ULL; }
/// f64::min / f64::max: a NaN operand is ignored (as fmin/fmax).
MC_FN double mc_min(double a, double b) { return fmin(a, b); }
MC_FN double mc_max(double a, double b) { return fmax(a, b); }
/// f64::clamp (a NaN stays NaN).
MC_FN double mc_clamp(double x, double lo, double hi) {
    if (x < lo) x = lo;
    if (x > hi) x = hi;
    return x;
}
/// f64::fract.
MC_FN double mc_fract(double x) { return x - trunc(x); }
/// f64::signum for a number that is not NaN.
MC_FN double mc_signum(double x) { return copysign(1.0, x); }
