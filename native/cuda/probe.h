// What the CUDA runtime sees on this machine: devices, driver and runtime versions, and — when the
// GPU path cannot be used — a sentence saying why (no driver, driver too old, no device, a GPU
// older than sm_80). The loader calls probe() first and uses CUDA only when `available`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace optical::cuda {

struct DeviceInfo {
  std::string name;
  int major = 0;
  int minor = 0;
  std::size_t totalMemory = 0;
  bool supported = false;  // compute capability ≥ 8.0 (the oldest SASS this addon carries)
};

struct ProbeResult {
  bool available = false;
  int deviceCount = 0;
  std::vector<DeviceInfo> devices;
  int driverVersion = 0;   // cudaDriverGetVersion: 1000·major + 10·minor, 0 without a driver
  int runtimeVersion = 0;  // cudaRuntimeGetVersion of the statically linked runtime
  int device = -1;         // the device the kernels run on (the first supported one)
  std::string reason;
};

/** Queries the runtime once and caches the answer (device properties do not change in a process). */
const ProbeResult& probe();

/** "13.0" from 13000. */
std::string versionString(int cudaVersion);

/** The oldest Linux driver branch that supports a CUDA runtime major version (CUDA release notes,
 *  table "CUDA Toolkit and Minimum Required Driver Version"); 0 when unknown. */
int minimumDriverBranch(int runtimeVersion);

}  // namespace optical::cuda
