#include "spool/data/detail/cancellation.h"

#include <algorithm>

namespace spool::data::detail {

std::shared_ptr<CancellationToken> CancellationToken::make(const std::shared_ptr<CancellationToken>& parent) {
  std::shared_ptr<CancellationToken> token(new CancellationToken());
  if (parent) {
    // cancel() sets the flag before it takes children_mu_ to collect the children: a
    // child is either collected or sees the flag here.
    std::unique_lock lock(parent->children_mu_);
    if (parent->cancelled()) {
      lock.unlock();
      token->cancel();
    } else {
      // Drop children that are gone, so long-lived parents do not grow without bound.
      std::erase_if(parent->children_, [](const auto& w) { return w.expired(); });
      parent->children_.push_back(token);
    }
  }
  return token;
}

void CancellationToken::cancel() {
  std::vector<std::shared_ptr<CancellationToken>> children;
  {
    std::lock_guard lock(mu_);
    if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
    // Callbacks run under mu_ so that unregister() (which takes mu_) returns only once
    // no callback is running; a callback must not touch this token.
    for (auto& [id, fn] : callbacks_) fn();
    callbacks_.clear();
  }
  {
    std::lock_guard lock(children_mu_);
    for (auto& weak : children_) {
      if (auto child = weak.lock()) children.push_back(std::move(child));
    }
    children_.clear();
  }
  for (auto& child : children) child->cancel();
}

CancellationToken::Registration CancellationToken::on_cancel(std::function<void()> fn) {
  std::unique_lock lock(mu_);
  if (cancelled()) {
    lock.unlock();
    fn();
    return {};
  }
  const std::uint64_t id = next_id_++;
  callbacks_.emplace_back(id, std::move(fn));
  return Registration(shared_from_this(), id);
}

void CancellationToken::unregister(std::uint64_t id) {
  std::lock_guard lock(mu_);
  std::erase_if(callbacks_, [id](const auto& entry) { return entry.first == id; });
}

CancellationToken::Registration& CancellationToken::Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    if (token_) token_->unregister(id_);
    token_ = std::move(other.token_);
    id_ = other.id_;
  }
  return *this;
}

CancellationToken::Registration::~Registration() {
  if (token_) token_->unregister(id_);
}

}  // namespace spool::data::detail
