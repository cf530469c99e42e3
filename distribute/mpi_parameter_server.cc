// The ClusterCoordinator over MPI ranks: rank 0 coordinates (hands closures to idle
// workers and runs the staleness gate), ranks 1..S each hold one shard, the rest are
// workers. Every rank runs the same program; inside join() the workers run the closures
// rank 0 names and the servers answer pulls and pushes, until rank 0 ends the join.
//
// Point-to-point messages, not one-sided windows: a push must run the optimizer on
// the server (Adam's moments live there, and MPI_Accumulate can only add), so a window
// would need a lock around get, update and put of the whole shard by the worker; and
// even a bare SGD push and pull is no faster one-sided in Open MPI 4.1 (as fast through
// osc pt2pt, a third the speed through osc rdma: bench_mpi ps_exchange). The gate needs
// a message to rank 0 per read and per apply whatever carries the weights.
//
// Waiting polls MPI_Improbe with a short sleep between polls, so that ranks sharing a
// machine's cores (mpirun --oversubscribe) leave them to the ranks that compute.
// A rank that dies ends the job: Open MPI 4.1 reports no error for a dead peer (a
// receive from it waits forever, even under --enable-recovery), so mpirun's default
// of ending every rank and naming the dead one is the bounded outcome
// (docs/distributed.md).
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <thread>

#include "spool/distribute/detail/coordinator_backend.h"
#include "spool/distribute/mpi_worker_group.h"
#include "spool/tensor/error.h"

namespace spool::distribute::detail {
namespace {

enum Tag : int {
  kRun = 101,       // coordinator -> worker: i64 closure id
  kJoinEnd,         // coordinator -> worker, server: the join is over
  kResult,          // worker -> coordinator: closure id, error kind, message, value
  kReadRequest,     // worker -> coordinator
  kReadGranted,     // coordinator -> worker: i64 version
  kReadDone,        // worker -> coordinator: its weights are pulled
  kApplyRequest,    // worker -> coordinator
  kApplyGranted,    // coordinator -> worker
  kApplied,         // worker -> coordinator: every server has applied its gradient
  kWithdraw,        // worker -> coordinator: a closure that read and did not push
  kPull,            // worker -> server
  kWeights,         // server -> worker: f32 shard
  kPush,            // worker -> server: i64 read version, f32 gradient
  kPushed,          // server -> worker: i64 staleness
  kFetch,           // coordinator -> server
  kShardState,      // server -> coordinator: weights, optimizer state, staleness counts
  kLoad,            // coordinator -> server: weights, optimizer state, version
};

// ---- messages: byte strings, read with bounds checks -------------------------------

class Writer {
 public:
  Writer& i64(std::int64_t v) { return raw(&v, sizeof v); }
  Writer& str(std::string_view s) {
    i64(static_cast<std::int64_t>(s.size()));
    return raw(s.data(), s.size());
  }
  Writer& floats(std::span<const float> v) {
    i64(static_cast<std::int64_t>(v.size()));
    return raw(v.data(), v.size() * sizeof(float));
  }
  Writer& tensors(const std::vector<NamedTensor>& ts) {
    i64(static_cast<std::int64_t>(ts.size()));
    for (const NamedTensor& t : ts) {
      const Tensor c = t.tensor.contiguous();
      str(t.name).i64(static_cast<std::int64_t>(c.dtype())).i64(c.shape().rank());
      for (const std::int64_t d : c.shape().dims()) i64(d);
      const std::span<const std::uint8_t> b = c.bytes();
      str(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    }
    return *this;
  }
  std::string take() { return std::move(bytes_); }

 private:
  Writer& raw(const void* p, std::size_t n) {
    bytes_.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string bytes_;
};

class Reader {
 public:
  Reader(std::string_view bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}
  std::int64_t i64() {
    std::int64_t v = 0;
    std::memcpy(&v, take(sizeof v).data(), sizeof v);
    return v;
  }
  std::string_view str() { return take(length(1)); }
  std::vector<float> floats() {
    const std::size_t n = length(sizeof(float));
    std::vector<float> v(n);
    std::memcpy(v.data(), take(n * sizeof(float)).data(), n * sizeof(float));
    return v;
  }
  std::vector<NamedTensor> tensors() {
    const std::size_t n = length(1);
    std::vector<NamedTensor> out;
    for (std::size_t i = 0; i < n; ++i) {
      std::string name(str());
      const std::int64_t dtype = i64();
      SPOOL_CHECK(dtype >= 0 && dtype <= static_cast<std::int64_t>(DType::kF64), DataLossError, what_,
                  ": bad dtype ", dtype, " for ", quoted(name));
      const std::size_t rank = length(8);
      std::vector<std::int64_t> dims;
      for (std::size_t d = 0; d < rank; ++d) dims.push_back(i64());
      const std::string_view data = str();
      Tensor t = Tensor::empty(Shape(dims), static_cast<DType>(dtype));
      SPOOL_CHECK(static_cast<std::size_t>(t.numel()) * t.element_size() == data.size(), DataLossError, what_, ": ",
                  quoted(name), " holds ", data.size(), " bytes for shape ", t.shape().to_string());
      std::memcpy(t.raw_data(), data.data(), data.size());
      out.push_back({std::move(name), std::move(t)});
    }
    return out;
  }

 private:
  // A count read off the message, never more than the bytes left can hold.
  std::size_t length(std::size_t unit) {
    const std::int64_t n = i64();
    SPOOL_CHECK(n >= 0 && static_cast<std::size_t>(n) <= (bytes_.size() - at_) / unit, DataLossError, what_,
                ": a length of ", n, " at byte ", at_ - 8, " of ", bytes_.size());
    return static_cast<std::size_t>(n);
  }
  std::string_view take(std::size_t n) {
    SPOOL_CHECK(n <= bytes_.size() - at_, DataLossError, what_, ": ", n, " bytes wanted at byte ", at_, " of ",
                bytes_.size());
    const std::string_view out = bytes_.substr(at_, n);
    at_ += n;
    return out;
  }
  std::string_view bytes_;
  std::size_t at_ = 0;
  std::string what_;
};

struct Message {
  int source = -1;
  int tag = -1;
  std::string bytes;
};

void check(int rc, const char* what) {
  SPOOL_CHECK(rc == MPI_SUCCESS, InternalError, "parameter servers: ", what, " failed with MPI code ", rc);
}

void send(int dest, int tag, std::string_view bytes = {}) {
  SPOOL_CHECK(bytes.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()), InvalidArgument,
              "parameter servers: a message of ", bytes.size(), " bytes is more than MPI's int counts");
  check(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dest, tag, MPI_COMM_WORLD), "MPI_Send");
}

// The next message from `source` (or MPI_ANY_SOURCE) with `tag` (or MPI_ANY_TAG),
// polled with a growing sleep (at most 200 µs) between looks; null when `wait` is
// false and none is there.
std::optional<Message> receive(int source, int tag, bool wait = true) {
  int found = 0;
  MPI_Message handle;
  MPI_Status status;
  for (int polls = 0;; ++polls) {
    check(MPI_Improbe(source, tag, MPI_COMM_WORLD, &found, &handle, &status), "MPI_Improbe");
    if (found) break;
    if (!wait) return std::nullopt;
    if (polls > 50) std::this_thread::sleep_for(std::chrono::microseconds(std::min(200, 5 * (polls - 50))));
  }
  int count = 0;
  check(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  Message m{status.MPI_SOURCE, status.MPI_TAG, std::string(static_cast<std::size_t>(count), '\0')};
  check(MPI_Mrecv(m.bytes.data(), count, MPI_BYTE, &handle, MPI_STATUS_IGNORE), "MPI_Mrecv");
  return m;
}

Message receive_from(int source, int tag) { return *receive(source, tag); }

class MpiBackend final : public CoordinatorBackend {
 public:
  MpiBackend(const ParameterServerStrategy& strategy, const ClusterCoordinator::ModelFactory& make_model,
             const ClusterCoordinator::OptimizerFactory& make_optimizer)
      : CoordinatorBackend(strategy, make_model, make_optimizer),
        servers_(strategy.num_servers()),
        workers_(strategy.num_workers()),
        role_(strategy.role()),
        gate_(workers_, strategy.options().max_staleness()) {
    mpi_world();  // MPI is initialised
    if (role_ == ParameterServerStrategy::Role::kServer) {
      shard_index_ = strategy.rank() - 1;
      const std::int64_t n = layout_.shard_end(shard_index_, servers_) - layout_.shard_begin(shard_index_, servers_);
      shard_ = std::make_unique<ParameterShard>(shard_index_, std::vector<float>(static_cast<std::size_t>(n)),
                                                make_optimizer_, strategy.options().scale_learning_rate());
    }
    if (role_ == ParameterServerStrategy::Role::kWorker) worker_index_ = strategy.worker_index();
    busy_.assign(static_cast<std::size_t>(workers_), false);
    alive_.assign(static_cast<std::size_t>(workers_), true);
    completed_.assign(static_cast<std::size_t>(workers_), 0);
    // The servers start from the coordinator's model (every rank calls this).
    load_servers();
  }

  RemoteValue schedule(WorkerFn fn, const PerWorkerDataset& dataset) override {
    auto result = std::make_shared<RemoteState>();
    const std::int64_t id = next_id_++;
    if (role_ == ParameterServerStrategy::Role::kCoordinator) {
      SPOOL_CHECK(std::count(alive_.begin(), alive_.end(), true) > 0, Unavailable,
                  "ClusterCoordinator: every worker is unavailable");
      result->progress = [this] { progress(/*wait=*/true); };
      queue_.push_back(Closure{id, nullptr, nullptr, result});
      ++pending_;
      progress(/*wait=*/false);
    } else {
      result->elsewhere = true;
      if (role_ == ParameterServerStrategy::Role::kWorker) table_.push_back(Closure{id, std::move(fn), iterators(dataset), result});
    }
    return remote(result);
  }

  void join() override {
    switch (role_) {
      case ParameterServerStrategy::Role::kCoordinator: return coordinate_join();
      case ParameterServerStrategy::Role::kServer: return serve();
      case ParameterServerStrategy::Role::kWorker: return work();
    }
  }

  void load_servers() override {
    if (role_ == ParameterServerStrategy::Role::kWorker) return;
    if (role_ == ParameterServerStrategy::Role::kServer) {
      const Message m = receive_from(0, kLoad);
      Reader r(m.bytes, "parameter server " + std::to_string(shard_index_) + ": the coordinator's state");
      shard_->set_weights(r.floats());
      shard_->optimizer().load_state(r.tensors());
      shard_->set_version(r.i64());
      return;
    }
    SPOOL_CHECK(pending_ == 0, InvalidArgument,
                "ClusterCoordinator::load_servers: closures are still scheduled; join() first");
    std::vector<float> weights(static_cast<std::size_t>(layout_.size));
    layout_.pack_values(weights);
    const std::vector<NamedTensor> state = optimizer_->state();
    for (int s = 0; s < servers_; ++s) {
      const auto begin = static_cast<std::size_t>(layout_.shard_begin(s, servers_));
      const auto n = static_cast<std::size_t>(layout_.shard_end(s, servers_)) - begin;
      Writer w;
      w.floats(std::span<const float>(weights).subspan(begin, n)).tensors(split_optimizer_state(layout_, state, s, servers_));
      w.i64(optimizer_->iterations());
      send(1 + s, kLoad, w.take());
    }
    gate_.restart(optimizer_->iterations());
  }

  std::int64_t version() const override {
    return role_ == ParameterServerStrategy::Role::kServer ? shard_->version() : gate_.version();
  }
  StalenessHistogram staleness() const override {
    return role_ == ParameterServerStrategy::Role::kServer ? shard_->histogram() : histogram_;
  }
  std::vector<std::int64_t> completed_per_worker() const override { return completed_; }

 private:
  int rank_of_worker(int w) const { return 1 + servers_ + w; }
  int worker_of_rank(int rank) const { return rank - 1 - servers_; }

  // ---- rank 0 ----------------------------------------------------------------------

  void coordinate_join() {
    while (pending_ > 0) progress(/*wait=*/true);
    // Every server's state into the coordinator's model and optimizer.
    std::vector<float> weights(static_cast<std::size_t>(layout_.size));
    std::vector<std::vector<NamedTensor>> states;
    for (int s = 0; s < servers_; ++s) send(1 + s, kFetch);
    for (int s = 0; s < servers_; ++s) {
      const Message m = receive_from(1 + s, kShardState);
      Reader r(m.bytes, "parameter server " + std::to_string(s) + "'s state");
      const std::vector<float> w = r.floats();
      SPOOL_CHECK(static_cast<std::int64_t>(w.size()) == layout_.shard_end(s, servers_) - layout_.shard_begin(s, servers_),
                  DataLossError, "parameter server ", s, " sent ", w.size(), " weights");
      std::copy(w.begin(), w.end(), weights.begin() + layout_.shard_begin(s, servers_));
      states.push_back(r.tensors());
      if (s == 0) {
        histogram_ = StalenessHistogram();
        const std::size_t n = static_cast<std::size_t>(r.i64());
        SPOOL_CHECK(n <= 1 << 20, DataLossError, "parameter server 0: a staleness histogram of ", n, " entries");
        for (std::size_t st = 0; st < n; ++st) histogram_.add(static_cast<std::int64_t>(st), r.i64());
      }
    }
    take_from_servers(weights, states);
    for (int r = 1; r < 1 + servers_ + workers_; ++r) send(r, kJoinEnd);
    std::exception_ptr first;
    std::swap(first, first_error_);
    if (first) std::rethrow_exception(first);
  }

  // Hands out closures, answers the gate's requests and takes results; with `wait`,
  // handles at least one message.
  void progress(bool wait) {
    dispatch();
    for (bool first = true;; first = false) {
      std::optional<Message> m = receive(MPI_ANY_SOURCE, MPI_ANY_TAG, wait && first);
      if (!m) return;
      handle(*m);
      admit();
      dispatch();
      if (pending_ == 0) return;
    }
  }

  void dispatch() {
    for (int w = 0; w < workers_ && !queue_.empty(); ++w) {
      if (busy_[static_cast<std::size_t>(w)] || !alive_[static_cast<std::size_t>(w)]) continue;
      busy_[static_cast<std::size_t>(w)] = true;
      running_[w] = std::move(queue_.front());
      queue_.pop_front();
      send(rank_of_worker(w), kRun, Writer().i64(running_[w].id).take());
    }
  }

  void handle(const Message& m) {
    const int w = worker_of_rank(m.source);
    SPOOL_CHECK(w >= 0 && w < workers_, InternalError, "coordinator: message ", m.tag, " from rank ", m.source,
                ", which is no worker");
    switch (m.tag) {
      case kReadRequest: waiting_reads_.push_back(w); break;
      case kReadDone: --reading_; break;
      case kApplyRequest: waiting_applies_.push_back(w); break;
      case kApplied: gate_.end_apply(); break;
      case kWithdraw: gate_.withdraw(w); break;
      case kResult: finish(w, m); break;
      default: SPOOL_THROW(InternalError, "coordinator: unexpected message ", m.tag, " from rank ", m.source);
    }
  }

  void admit() {
    for (auto it = waiting_applies_.begin(); it != waiting_applies_.end();) {
      if (reading_ == 0 && gate_.can_apply(*it)) {
        gate_.begin_apply(*it);
        send(rank_of_worker(*it), kApplyGranted);
        it = waiting_applies_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = waiting_reads_.begin(); it != waiting_reads_.end();) {
      if (gate_.can_read(*it)) {
        ++reading_;
        send(rank_of_worker(*it), kReadGranted, Writer().i64(gate_.begin_read(*it)).take());
        it = waiting_reads_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void finish(int w, const Message& m) {
    Reader r(m.bytes, "worker " + std::to_string(w) + "'s result");
    const std::int64_t id = r.i64();
    const bool failed = r.i64() != 0;
    const auto kind = static_cast<ErrorKind>(r.i64());
    const std::string message(r.str());
    std::vector<NamedTensor> value = r.tensors();
    Closure closure = std::move(running_.at(w));
    running_.erase(w);
    SPOOL_CHECK(closure.id == id, InternalError, "coordinator: worker ", w, " answered closure ", id, ", not ",
                closure.id);
    busy_[static_cast<std::size_t>(w)] = false;
    if (failed && kind == ErrorKind::kUnavailable) {
      // The worker gave up: its closure runs elsewhere, it takes no more.
      alive_[static_cast<std::size_t>(w)] = false;
      gate_.withdraw(w);
      queue_.push_front(std::move(closure));
      if (std::count(alive_.begin(), alive_.end(), true) == 0) fail_queued();
      return;
    }
    ++completed_[static_cast<std::size_t>(w)];
    std::exception_ptr error;
    if (failed) error = make_error(kind, "worker " + std::to_string(w) + ": " + message);
    if (error && !first_error_) first_error_ = error;
    closure.result->finish(value.empty() ? Tensor() : value[0].tensor, error);
    --pending_;
  }

  void fail_queued() {
    const auto error = std::make_exception_ptr(Unavailable("ClusterCoordinator: every worker is unavailable"));
    for (Closure& c : queue_) {
      c.result->finish(Tensor(), error);
      --pending_;
    }
    queue_.clear();
    if (!first_error_) first_error_ = error;
  }

  // ---- server ranks ----------------------------------------------------------------

  void serve() {
    for (;;) {
      const Message m = receive_from(MPI_ANY_SOURCE, MPI_ANY_TAG);
      switch (m.tag) {
        case kPull: send(m.source, kWeights, Writer().floats(shard_->weights()).take()); break;
        case kPush: {
          Reader r(m.bytes, "parameter server " + std::to_string(shard_index_) + ": a push from rank " +
                                std::to_string(m.source));
          const std::int64_t read_version = r.i64();
          const std::vector<float> gradient = r.floats();
          send(m.source, kPushed, Writer().i64(shard_->apply(gradient, read_version)).take());
          break;
        }
        case kFetch: {
          const std::vector<std::int64_t>& counts = shard_->histogram().counts();
          Writer w;
          w.floats(shard_->weights()).tensors(shard_->optimizer().state());
          w.i64(static_cast<std::int64_t>(counts.size()));
          for (const std::int64_t c : counts) w.i64(c);
          send(0, kShardState, w.take());
          break;
        }
        case kJoinEnd: return;
        default: SPOOL_THROW(InternalError, "parameter server: unexpected message ", m.tag, " from rank ", m.source);
      }
    }
  }

  // ---- worker ranks ----------------------------------------------------------------

  void work() {
    std::vector<float> weights(static_cast<std::size_t>(layout_.size)), gradient(weights.size());
    const ServerAccess servers = server_access();
    for (;;) {
      const Message m = receive_from(0, MPI_ANY_TAG);
      if (m.tag == kJoinEnd) break;
      SPOOL_CHECK(m.tag == kRun, InternalError, "worker: unexpected message ", m.tag, " from the coordinator");
      const std::int64_t id = Reader(m.bytes, "kRun").i64();
      const std::int64_t first = table_.empty() ? 0 : table_.front().id;
      SPOOL_CHECK(id >= first && id - first < static_cast<std::int64_t>(table_.size()), InvalidArgument,
                  "worker ", worker_index_, ": the coordinator runs closure ", id,
                  " but this rank scheduled no such closure (every rank must schedule the same closures)");
      Closure& closure = table_[static_cast<std::size_t>(id - first)];
      Tensor value;
      std::exception_ptr error;
      try {
        value = run_closure(closure, worker_index_, *model_, layout_, weights, gradient, servers);
      } catch (...) {
        error = std::current_exception();
      }
      std::string message;
      const ErrorKind kind = error ? error_kind(error, message) : ErrorKind::kOther;
      std::vector<NamedTensor> out;
      if (value.defined()) out.push_back({"value", value});
      // After Unavailable the coordinator gives this rank no more closures; it still
      // waits for the join's end.
      send(0, kResult,
           Writer().i64(id).i64(error ? 1 : 0).i64(static_cast<std::int64_t>(kind)).str(message).tensors(out).take());
    }
    table_.clear();
  }

  // This rank's way to the servers, for run_closure.
  ServerAccess server_access() {
    ServerAccess access;
    access.read = [this](std::span<float> weights) {
      send(0, kReadRequest);
      const std::int64_t version = Reader(receive_from(0, kReadGranted).bytes, "kReadGranted").i64();
      for (int s = 0; s < servers_; ++s) send(1 + s, kPull);
      for (int s = 0; s < servers_; ++s) {
        const std::vector<float> w = Reader(receive_from(1 + s, kWeights).bytes, "server weights").floats();
        SPOOL_CHECK(static_cast<std::int64_t>(w.size()) == layout_.shard_end(s, servers_) - layout_.shard_begin(s, servers_),
                    DataLossError, "worker ", worker_index_, ": server ", s, " sent ", w.size(), " weights");
        std::copy(w.begin(), w.end(), weights.begin() + layout_.shard_begin(s, servers_));
      }
      send(0, kReadDone);
      return version;
    };
    access.apply = [this](std::span<const float> gradient, std::int64_t version) {
      send(0, kApplyRequest);
      receive_from(0, kApplyGranted);
      for (int s = 0; s < servers_; ++s) {
        const auto begin = static_cast<std::size_t>(layout_.shard_begin(s, servers_));
        const auto n = static_cast<std::size_t>(layout_.shard_end(s, servers_)) - begin;
        send(1 + s, kPush, Writer().i64(version).floats(gradient.subspan(begin, n)).take());
      }
      std::int64_t staleness = 0;
      for (int s = 0; s < servers_; ++s) staleness = Reader(receive_from(1 + s, kPushed).bytes, "kPushed").i64();
      send(0, kApplied);
      return staleness;
    };
    access.withdraw = [] { send(0, kWithdraw); };
    return access;
  }

  const int servers_;
  const int workers_;
  const ParameterServerStrategy::Role role_;
  StalenessGate gate_;
  std::int64_t next_id_ = 0;
  // coordinator
  std::deque<Closure> queue_;
  std::map<int, Closure> running_;
  std::vector<bool> busy_, alive_;
  std::vector<std::int64_t> completed_;
  std::deque<int> waiting_reads_, waiting_applies_;
  int reading_ = 0;
  std::int64_t pending_ = 0;
  std::exception_ptr first_error_;
  StalenessHistogram histogram_;
  // server
  int shard_index_ = -1;
  std::unique_ptr<ParameterShard> shard_;
  // worker
  int worker_index_ = -1;
  std::deque<Closure> table_;  // scheduled since the last join, by id
};

}  // namespace

std::unique_ptr<CoordinatorBackend> make_mpi_backend(const ParameterServerStrategy& strategy,
                                                     const ClusterCoordinator::ModelFactory& make_model,
                                                     const ClusterCoordinator::OptimizerFactory& make_optimizer) {
  return std::make_unique<MpiBackend>(strategy, make_model, make_optimizer);
}

}  // namespace spool::distribute::detail
