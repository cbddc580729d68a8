#include "cuda/probe.h"

#include <cuda_runtime_api.h>

#include <mutex>

namespace optical::cuda {

std::string versionString(int v) {
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

int minimumDriverBranch(int runtimeVersion) {
  // CUDA minor-version compatibility: any driver of the major version's first branch works.
  switch (runtimeVersion / 1000) {
    case 13: return 580;
    case 12: return 525;
    case 11: return 450;
    default: return 0;
  }
}

namespace {

std::string driverRequirement(int runtimeVersion) {
  const int branch = minimumDriverBranch(runtimeVersion);
  std::string s = "CUDA runtime " + versionString(runtimeVersion) + " needs driver";
  if (branch > 0) s += " \u2265 " + std::to_string(branch);
  return s;
}

ProbeResult query() {
  ProbeResult r;
  // Neither call needs a driver: without one the driver version is reported as 0.
  if (cudaRuntimeGetVersion(&r.runtimeVersion) != cudaSuccess) r.runtimeVersion = 0;
  if (cudaDriverGetVersion(&r.driverVersion) != cudaSuccess) r.driverVersion = 0;

  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  cudaGetLastError();  // a failed probe must not leave an error for the next runtime call
  if (err != cudaSuccess) {
    r.deviceCount = 0;
    if (err == cudaErrorInsufficientDriver && r.driverVersion == 0) {
      r.reason = driverRequirement(r.runtimeVersion) + "; found none (no NVIDIA driver is loaded)";
    } else if (err == cudaErrorInsufficientDriver) {
      r.reason = driverRequirement(r.runtimeVersion) + "; the installed driver supports only CUDA " +
                 versionString(r.driverVersion) + " (update the NVIDIA driver)";
    } else if (err == cudaErrorNoDevice) {
      r.reason = "no CUDA device found (driver supports CUDA " + versionString(r.driverVersion) +
                 "; check CUDA_VISIBLE_DEVICES and that the GPU is visible to this process)";
    } else {
      r.reason = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorName(err) + ": " +
                 cudaGetErrorString(err);
    }
    return r;
  }

  r.deviceCount = count;
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp prop{};
    DeviceInfo info;
    if (cudaGetDeviceProperties(&prop, d) == cudaSuccess) {
      info.name = prop.name;
      info.major = prop.major;
      info.minor = prop.minor;
      info.totalMemory = prop.totalGlobalMem;
      info.supported = prop.major >= 8;
    } else {
      cudaGetLastError();
      info.name = "(unreadable device " + std::to_string(d) + ")";
    }
    if (info.supported && r.device < 0) r.device = d;
    r.devices.push_back(info);
  }
  if (count == 0) {
    r.reason = "no CUDA device found";
  } else if (r.device < 0) {
    r.reason = "no CUDA device with compute capability \u2265 8.0 (this build carries sm_80/sm_90 code); found " +
               r.devices[0].name + " (sm_" + std::to_string(r.devices[0].major) +
               std::to_string(r.devices[0].minor) + ")";
  } else {
    const DeviceInfo& d = r.devices[static_cast<std::size_t>(r.device)];
    r.available = true;
    r.reason = "using device " + std::to_string(r.device) + ": " + d.name + " (sm_" +
               std::to_string(d.major) + std::to_string(d.minor) + "), driver CUDA " +
               versionString(r.driverVersion) + ", runtime " + versionString(r.runtimeVersion);
  }
  return r;
}

}  // namespace

const ProbeResult& probe() {
  static std::once_flag once;
  static ProbeResult result;
  std::call_once(once, [] { result = query(); });
  return result;
}

}  // namespace optical::cuda
