// A small fixed-size thread pool for the OT kernels. The calling thread always takes part, so a pool
// of size N owns N − 1 background threads. One parallel_for runs at a time per pool (concurrent
// callers, e.g. several Node AsyncWorkers, queue on a mutex); a parallel_for issued from inside a
// pool task runs inline on that thread, so nesting cannot deadlock.
#ifndef OPTICAL_NATIVE_CORE_THREAD_POOL_H
#define OPTICAL_NATIVE_CORE_THREAD_POOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ot {

class ThreadPool {
 public:
  // threads ≤ 0: std::thread::hardware_concurrency() (at least 1).
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Threads that can work on one parallel_for (background threads + the caller).
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs task(i, slot) for every i in [0, count), each exactly once, on up to maxThreads threads
  // (≤ 0: all). Indices are handed out dynamically (an atomic counter), so uneven tasks balance.
  // `slot` ∈ [0, threads used) identifies the executing thread within this call (for per-thread
  // scratch). Blocks until every task has finished; the first exception thrown by a task is
  // rethrown here after the others have stopped picking up new indices.
  void parallel_for(int64_t count, int maxThreads, const std::function<void(int64_t, int)>& task);

  // Number of threads parallel_for(count, maxThreads, …) would use.
  int threads_for(int64_t count, int maxThreads) const;

 private:
  void worker_loop(int slot);
  void run_tasks(int slot);

  std::vector<std::thread> workers_;
  std::mutex submit_;                 // serialises parallel_for calls
  std::mutex m_;
  std::condition_variable wake_, done_;
  uint64_t generation_ = 0;
  bool stop_ = false;
  // The current job.
  const std::function<void(int64_t, int)>* task_ = nullptr;
  int64_t count_ = 0;
  int participants_ = 0;              // background threads taking part (slots 1..participants_)
  int running_ = 0;                   // background threads not yet finished with this job
  std::atomic<int64_t> next_{0};
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
};

// The process-wide pool (created on first use, sized to the hardware).
ThreadPool& default_pool();

}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_THREAD_POOL_H
