{
  # CPU addon: build/Release/optical.node. native/core (OT) and native/nn (the encoder engine) are
  # plain C++17 (native/core is also compiled into the CUDA addon by CMakeLists.txt); native/binding
  # is the only Node-API code.
  #
  # Flags: -O3 with a portable x86-64-v2 baseline (the binary runs on any CI machine of the same
  # kind); the hot loops are also compiled for x86-64-v3 (AVX2) and x86-64-v4 (AVX-512) through
  # function attributes and one level is chosen per process (native/core/isa_dispatch.h; force one
  # with OPTICAL_ISA=baseline|x86-64-v3|x86-64-v4). Float reductions vectorise only with reassociation, so the kernels use
  # -fassociative-math (+ its prerequisites -fno-signed-zeros -fno-trapping-math) but never
  # -ffinite-math-only / -ffast-math: the NaN/Inf checks must keep working.
  # The ASan + UBSan build (npm run build:asan) compiles these same sources with g++ directly into
  # build-asan/ (native/scripts/build-cpu.mjs --asan).
  'targets': [
    {
      'target_name': 'optical',
      'sources': [
        'native/core/isa.cpp',
        'native/core/big_buffer.cpp',
        'native/core/thread_pool.cpp',
        'native/core/scan_kernels.cpp',
        'native/core/validate.cpp',
        'native/core/sinkhorn_kernels.cpp',
        'native/core/sinkhorn.cpp',
        'native/core/cost_kernels.cpp',
        'native/core/cost_matrices.cpp',
        'native/core/ot_loss.cpp',
        'native/core/work_floor.cpp',
        'native/nn/common.cpp',
        'native/nn/kernels.cpp',
        'native/nn/model.cpp',
        'native/nn/embeddings.cpp',
        'native/nn/layernorm.cpp',
        'native/nn/linear.cpp',
        'native/nn/gelu.cpp',
        'native/nn/dropout.cpp',
        'native/nn/attention.cpp',
        'native/nn/pooling.cpp',
        'native/nn/encoder.cpp',
        'native/nn/classifier_head.cpp',
        'native/nn/mlm_head.cpp',
        'native/nn/loss_infonce.cpp',
        'native/nn/loss_bce.cpp',
        'native/nn/loss_mse.cpp',
        'native/nn/loss_cosine.cpp',
        'native/nn/loss_cross_entropy.cpp',
        'native/nn/loss_ot.cpp',
        'native/nn/adamw.cpp',
        'native/nn/step.cpp',
        'native/nn/gemm.cpp',
        'native/nn/gemm_kernel_portable.cpp',
        'native/nn/gemm_kernel_avx2.cpp',
        'native/nn/gemm_kernel_avx512.cpp',
        'native/nn/gemm_openblas.cpp',
        'native/nn/gemm_peak.cpp',
        'native/binding/js_args.cpp',
        'native/binding/nn_args.cpp',
        'native/binding/nn_model.cpp',
        'native/binding/jobs.cpp',
        'native/binding/runner.cpp',
        'native/binding/addon.cpp',
        'native/binding/nn_gemm.cpp',
      ],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'defines': ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags!': ['-fno-exceptions'],
      'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++17', '-std=gnu++1y', '-std=gnu++20'],
      'cflags_cc': [
        '-std=c++17', '-O3', '-fexceptions', '-pthread', '-Wall', '-Wextra',
        '-fno-math-errno', '-fno-trapping-math', '-fno-signed-zeros', '-fassociative-math',
      ],
      # -ldl: OpenBLAS is dlopen'ed at run time (native/nn/gemm_openblas.cpp), never linked.
      'ldflags': ['-pthread'],
      'libraries': ['-ldl'],
      'conditions': [
        ['target_arch=="x64"', { 'cflags_cc': ['-march=x86-64-v2'] }],
      ],
    },
  ],
}
