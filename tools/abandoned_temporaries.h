// The temporary files a killed spool process leaves in an output folder: AtomicFile's
// and TFRecordWriter's "<name>.tmp-<pid>-<salt>-<n>", written beside the final name
// and renamed into place on commit. After kill -9 nothing removes them, so the next
// run that writes into the folder (convert --overwrite, train --out) does, unless
// their process still runs (another writer at work in the same folder).
// Thread-safety: touches only the folder's abandoned files.
#pragma once

#include <string>

namespace spool::cli {

// True for a temporary's name whose process no longer exists.
bool is_abandoned_temporary(const std::string& file_name);

// Removes every abandoned temporary directly in `dir`; errors are ignored (a file
// another process removed first, a folder that is not there).
void remove_abandoned_temporaries(const std::string& dir);

}  // namespace spool::cli
