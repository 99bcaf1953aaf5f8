//! Engineering functions: number systems, bit operations, complex numbers, Bessel functions,
//! unit conversion, DELTA and GESTEP.
