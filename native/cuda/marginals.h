// The marginals exactly as the CUDA kernels receive them (host code, no CUDA dependency, so the
// kernel emulator in test/cuda uses it too).
#pragma once

#include <vector>

#include "core/ot.h"

namespace optical::cuda {

/** a and b as the kernels use them: uniform 1/n, 1/m (as float, like native/core) when absent; for
 *  balanced problems b rescaled in double to the mass of a (src/ot/reference matchMass), so float
 *  rounding of user-normalised weights does not put a floor under the marginal error. */
void materialise_marginals(const ot::RaggedLayout& L, const float* a, const float* b, bool balanced,
                           std::vector<float>& A, std::vector<float>& B);

}  // namespace optical::cuda
