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
#include <memory>
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
  // (≤ 0: all). Indices are handed out dynamically (an atomic counter), so uneven tasks balance,
  // and the caller never waits for a worker that has not started: on an oversubscribed machine
  // it simply runs the remaining tasks itself. `slot` ∈ [0, maxThreads) identifies the executing
  // thread within this call (for per-thread scratch). Blocks until every task has finished; the
  // first exception thrown by a task is rethrown here (remaining tasks are skipped).
  void parallel_for(int64_t count, int maxThreads, const std::function<void(int64_t, int)>& task);

  // Like parallel_for, but when the pool is busy with another caller's parallel_for it does not wait:
  // the calling thread runs every task itself (slot 0). For work on the JS thread (copying the
  // inputs of an async call), which must never block behind a long job of a worker.
  void parallel_for_if_idle(int64_t count, int maxThreads, const std::function<void(int64_t, int)>& task);

  // Number of threads parallel_for(count, maxThreads, …) would use.
  int threads_for(int64_t count, int maxThreads) const;

 private:
  // One parallel_for call. Shared with the workers through a shared_ptr, so a worker that wakes up
  // late (after the caller already finished every task itself) only finds an exhausted counter.
  struct Job {
    const std::function<void(int64_t, int)>* task = nullptr;
    int64_t count = 0;
    int maxSlots = 1;
    std::atomic<int> nextSlot{1};  // slot 0 is the caller
    std::atomic<int64_t> next{0};  // next task index to hand out
    std::atomic<int64_t> done{0};  // tasks finished (or skipped after a failure)
    std::atomic<bool> failed{false};
    std::exception_ptr error;      // guarded by the pool mutex
  };

  void worker_loop();
  void run_tasks(Job& job, int slot);
  void run_job(int64_t count, int threads, const std::function<void(int64_t, int)>& task);  // submit_ held

  std::vector<std::thread> workers_;
  std::mutex submit_;  // serialises parallel_for calls
  std::mutex m_;
  std::condition_variable wake_, finished_;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::shared_ptr<Job> job_;
};

// The process-wide pool (created on first use, sized to the hardware).
ThreadPool& default_pool();

}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_THREAD_POOL_H
