// Cancellation for background threads of a pipeline: a tree of tokens.
//
// Each asynchronous stage owns a token whose parent is the token of the stage (or
// iterator) around it, and hands it to the iterators it creates. Destroying the
// stage cancels its token, which cancels every token below it, so blocked waits
// anywhere in its subtree wake up before it joins its threads.
//
//   auto token = CancellationToken::make(parent);
//   auto reg = token->on_cancel([&] { std::lock_guard l(mu_); cv_.notify_all(); });
//   cv_.wait(lock, [&] { return ready() || token->cancelled(); });
//
// Thread-safety: all members may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace spool::data::detail {

class CancellationToken : public std::enable_shared_from_this<CancellationToken> {
 public:
  // A token cancelled with `parent` (which may be null).
  static std::shared_ptr<CancellationToken> make(const std::shared_ptr<CancellationToken>& parent = nullptr);

  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // Idempotent; runs the callbacks, then cancels the children.
  void cancel();

  // Unregisters its callback when destroyed; the callback never runs after that.
  class Registration {
   public:
    Registration() = default;
    Registration(std::shared_ptr<CancellationToken> token, std::uint64_t id) : token_(std::move(token)), id_(id) {}
    Registration(Registration&& other) noexcept = default;
    Registration& operator=(Registration&& other) noexcept;
    ~Registration();

   private:
    std::shared_ptr<CancellationToken> token_;
    std::uint64_t id_ = 0;
  };
  // Runs `fn` on cancel(), or at once when already cancelled.
  [[nodiscard]] Registration on_cancel(std::function<void()> fn);

 private:
  CancellationToken() = default;
  void unregister(std::uint64_t id);

  std::atomic<bool> cancelled_{false};
  std::mutex mu_;  // guards callbacks_, next_id_, and serialises callbacks with unregister
  // Apart from mu_: a stage makes child tokens while holding its own locks (a parallel
  // map pulling from a repeat that starts a pass), and callbacks take stages' locks
  // under mu_; one mutex for both would order those locks in a cycle.
  std::mutex children_mu_;
  std::vector<std::pair<std::uint64_t, std::function<void()>>> callbacks_;  // guarded by mu_
  std::vector<std::weak_ptr<CancellationToken>> children_;                   // guarded by children_mu_
  std::uint64_t next_id_ = 1;                                                // guarded by mu_
};

}  // namespace spool::data::detail
