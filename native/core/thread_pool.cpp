#include "thread_pool.h"

#include "fast_math.h"

#include <algorithm>

namespace ot {

namespace {
// True on pool threads and on a caller while it runs tasks: nested parallel_for then runs inline
// (waiting for the pool from inside the pool would deadlock).
thread_local bool t_inside_pool = false;
}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  workers_.reserve(threads - 1);
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

int ThreadPool::threads_for(int64_t count, int maxThreads) const {
  int n = size();
  if (maxThreads > 0) n = std::min(n, maxThreads);
  if (count < n) n = static_cast<int>(std::max<int64_t>(count, 1));
  return n;
}

void ThreadPool::run_tasks(Job& job, int slot) {
  for (;;) {
    const int64_t i = job.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= job.count) return;
    if (!job.failed.load(std::memory_order_relaxed)) {
      try {
        // Per task: the guard restores the caller thread's floating-point mode when the task ends.
        const FlushDenormals ftz;
        (*job.task)(i, slot);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m_);
        if (!job.error) job.error = std::current_exception();
        job.failed.store(true, std::memory_order_relaxed);
      }
    }
    if (job.done.fetch_add(1, std::memory_order_acq_rel) + 1 == job.count) {
      std::lock_guard<std::mutex> lock(m_);
      finished_.notify_all();
    }
  }
}

void ThreadPool::worker_loop() {
  t_inside_pool = true;
  uint64_t seen = 0;
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(m_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    if (!job) continue;
    const int slot = job->nextSlot.fetch_add(1, std::memory_order_relaxed);
    if (slot < job->maxSlots) run_tasks(*job, slot);
  }
}

void ThreadPool::parallel_for(int64_t count, int maxThreads, const std::function<void(int64_t, int)>& task) {
  if (count <= 0) return;
  const int n = threads_for(count, maxThreads);
  if (n == 1 || t_inside_pool) {
    for (int64_t i = 0; i < count; ++i) task(i, 0);
    return;
  }
  std::lock_guard<std::mutex> submit(submit_);
  run_job(count, n, task);
}

void ThreadPool::parallel_for_if_idle(int64_t count, int maxThreads, const std::function<void(int64_t, int)>& task) {
  if (count <= 0) return;
  const int n = threads_for(count, maxThreads);
  std::unique_lock<std::mutex> submit(submit_, std::try_to_lock);
  if (n == 1 || t_inside_pool || !submit.owns_lock()) {
    for (int64_t i = 0; i < count; ++i) task(i, 0);
    return;
  }
  run_job(count, n, task);
}

void ThreadPool::run_job(int64_t count, int n, const std::function<void(int64_t, int)>& task) {
  auto job = std::make_shared<Job>();
  job->task = &task;
  job->count = count;
  job->maxSlots = n;
  {
    std::lock_guard<std::mutex> lock(m_);
    job_ = job;
    ++generation_;
  }
  wake_.notify_all();
  t_inside_pool = true;
  run_tasks(*job, 0);
  t_inside_pool = false;
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(m_);
    finished_.wait(lock, [&] { return job->done.load(std::memory_order_acquire) == job->count; });
    job_.reset();
    error = job->error;
  }
  if (error) std::rethrow_exception(error);
}

ThreadPool& default_pool() {
  // Deliberately never destroyed: at process exit a libuv worker may still be inside a job, and
  // joining the pool threads from a static destructor could then block the exit.
  static ThreadPool* pool = new ThreadPool(0);
  return *pool;
}

}  // namespace ot
