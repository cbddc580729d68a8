#include "thread_pool.h"

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
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
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

void ThreadPool::run_tasks(int slot) {
  for (;;) {
    if (failed_.load(std::memory_order_relaxed)) return;
    const int64_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= count_) return;
    try {
      (*task_)(i, slot);
    } catch (...) {
      std::lock_guard<std::mutex> lock(m_);
      if (!error_) error_ = std::current_exception();
      failed_.store(true, std::memory_order_relaxed);
    }
  }
}

void ThreadPool::worker_loop(int slot) {
  t_inside_pool = true;
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(m_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (slot > participants_) continue;  // not needed for this job
    }
    run_tasks(slot);
    {
      std::lock_guard<std::mutex> lock(m_);
      if (--running_ == 0) done_.notify_all();
    }
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
  {
    std::lock_guard<std::mutex> lock(m_);
    task_ = &task;
    count_ = count;
    participants_ = n - 1;
    running_ = n - 1;
    next_.store(0, std::memory_order_relaxed);
    failed_.store(false, std::memory_order_relaxed);
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  t_inside_pool = true;
  run_tasks(0);
  t_inside_pool = false;
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(m_);
    done_.wait(lock, [&] { return running_ == 0; });
    task_ = nullptr;
    error = error_;
    error_ = nullptr;
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
