// Checkpoints: a model's variables, its optimizer's state and the training state
// (training_state.h: step, epoch, iterator, seed, metrics, what the run is) in one file
// that appears whole or not at all.
//
//   autodiff::TrainingState ts;
//   ts.step = step;
//   ts.iterator_state = it.save().bytes();          // data::IteratorState, kept opaque
//   ts.info.model = "mlp";
//   autodiff::save_checkpoint("run/ckpt", arena.variables(), &adam, ts);
//   ...                                                // a new process, same model code
//   autodiff::TrainingState back = autodiff::restore_checkpoint("run/ckpt", arena.variables(), &adam);
//   auto it = ds.make_iterator(data::IteratorState::from_bytes(back.iterator_state));
//
// Layout: DIR/checkpoint.tensors, the latest checkpoint only, in the tensor file
// format (tensor/tensor_file.h: versioned, CRC-32C per tensor), written to a temporary
// name and renamed, so a crash while saving leaves the previous checkpoint. Entries:
//   variables/<name>          every variable given, trainable or not
//   optimizer/<kind>/...      Optimizer::state() (optimizer.h)
//   the training state's      step, iterator_state, metadata/..., metrics/... (training_state.h)
//
// restore_checkpoint checks everything before changing anything: a variable missing
// from the file, or with another dtype or shape there, is an InvalidArgument naming the
// variable and both shapes; then the optimizer's state (the same checks); a damaged
// file is the DataLossError of load_tensors, naming the file. Variables and optimizer
// state in the file that the caller did not ask for are ignored (restore a backbone
// into a model with a new head by passing only the backbone's variables).
// Variables are matched by name, so names must be unique (InvalidArgument otherwise).
//
// Thread-safety: nothing else may use the variables or the optimizer meanwhile.
#pragma once

#include <span>
#include <string>

#include "spool/autodiff/optim/optimizer.h"
#include "spool/autodiff/training_state.h"
#include "spool/autodiff/variable.h"

namespace spool::autodiff {

// DIR/checkpoint.tensors
std::string checkpoint_path(const std::string& dir);
bool checkpoint_exists(const std::string& dir);

// Creates DIR when missing (IoError when it cannot). `optimizer` may be null (no
// optimizer state saved); otherwise its slots for the trainable variables are built
// first, so a checkpoint taken before the first step restores too.
void save_checkpoint(const std::string& dir, std::span<const Variable> variables, Optimizer* optimizer,
                     const TrainingState& state);

// Loads into `variables` and (when not null) `optimizer`, returns the rest. IoError
// when there is no checkpoint to read.
TrainingState restore_checkpoint(const std::string& dir, std::span<const Variable> variables, Optimizer* optimizer);

}  // namespace spool::autodiff
