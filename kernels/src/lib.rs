//! CUDA kernels compiled at run time with NVRTC (the GPU issue). Nothing is exposed yet.
