// run_ordered: produce(i) for i in [0, n) on worker threads, consume(i, result) on
// the calling thread in index order, so what consume writes does not depend on the
// number of threads (spool convert: decode/encode in parallel, write in order).
//
//   run_ordered<std::string>(n, threads, [&](std::int64_t i) { return encode(i); },
//                            [&](std::int64_t i, std::string&& record) { write(record); });
//
// Workers take indices in increasing order and run at most `window` items ahead of
// consume, which bounds the results held in memory. An exception from produce(i)
// travels in i's slot and is rethrown on the caller when i's turn comes (so the
// error reported is the first in index order, whatever the threads did); after an
// exception from either side the workers stop taking items and are joined before
// run_ordered returns. threads <= 1 runs everything on the caller.
// Thread-safety: produce must be safe to call concurrently; consume is called by
// the caller's thread only.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

namespace spool::cli {

template <typename T>
void run_ordered(std::int64_t n, int threads, std::int64_t window, const std::function<T(std::int64_t)>& produce,
                 const std::function<void(std::int64_t, T&&)>& consume) {
  if (threads <= 1) {
    for (std::int64_t i = 0; i < n; ++i) consume(i, produce(i));
    return;
  }
  using Slot = std::variant<T, std::exception_ptr>;
  std::mutex mu;
  std::condition_variable ready;      // a slot was filled
  std::condition_variable has_room;   // consume advanced, or stop
  std::map<std::int64_t, Slot> done;  // guarded by mu
  std::int64_t next_item = 0;         // guarded by mu
  std::int64_t consumed = 0;          // guarded by mu
  bool stop = false;                  // guarded by mu

  const auto work = [&] {
    for (;;) {
      std::int64_t i = 0;
      {
        std::unique_lock lock(mu);
        has_room.wait(lock, [&] { return stop || next_item >= n || next_item < consumed + window; });
        if (stop || next_item >= n) return;
        i = next_item++;
      }
      Slot slot;
      try {
        slot.template emplace<0>(produce(i));
      } catch (...) {
        slot.template emplace<1>(std::current_exception());
      }
      {
        std::lock_guard lock(mu);
        done.emplace(i, std::move(slot));
      }
      ready.notify_one();
    }
  };
  std::vector<std::jthread> workers;
  // Declared after `workers`, so it stops them before they are joined, on any exit.
  struct StopOnExit {
    std::mutex& mu;
    bool& stop;
    std::condition_variable& has_room;
    ~StopOnExit() {
      {
        std::lock_guard lock(mu);
        stop = true;
      }
      has_room.notify_all();
    }
  } stop_on_exit{mu, stop, has_room};
  for (int t = 0; t < threads; ++t) workers.emplace_back(work);

  for (std::int64_t i = 0; i < n; ++i) {
    Slot slot;
    {
      std::unique_lock lock(mu);
      ready.wait(lock, [&] { return done.count(i) > 0; });
      auto at = done.find(i);
      slot = std::move(at->second);
      done.erase(at);
      consumed = i + 1;
    }
    has_room.notify_all();
    if (slot.index() == 1) std::rethrow_exception(std::get<1>(slot));
    consume(i, std::move(std::get<0>(slot)));
  }
}

}  // namespace spool::cli
