// ImageFolderDataset: Keras' index_directory + get_training_or_validation_split, then a
// source that reads each file's bytes. Keras shuffles the file list with NumPy's
// RandomState(seed) before splitting; we cannot match that generator bit for bit, so the
// split uses our Philox permutation keyed by (seed, stream 0) instead: the same seed
// gives the same split here, but not the same files as Keras. Each epoch then visits the
// subset in a permutation keyed by (seed, epoch + 1) (Keras reshuffles with a buffer).
#include "spool/data/sources/image_folder_dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <utility>

#include "spool/data/io/byte_source.h"
#include "spool/data/sources/seeded_order.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

namespace fs = std::filesystem;

bool is_image_name(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

// The images under `folder` and its sub-folders, sorted as Keras walks them: by
// folder, then by name within a folder.
std::vector<std::string> images_under(const fs::path& folder) {
  std::vector<std::pair<std::string, std::string>> found;  // (folder, name)
  std::error_code ec;
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && is_image_name(it->path())) {
      found.emplace_back(it->path().parent_path().string(), it->path().filename().string());
    }
  }
  SPOOL_CHECK(!ec, IoError, "ImageFolderDataset: cannot list ", spool::quoted(folder.string()), ": ", ec.message());
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  for (const auto& [dir, name] : found) paths.push_back((fs::path(dir) / name).string());
  return paths;
}

struct Files {
  std::vector<std::string> paths;
  std::vector<std::int64_t> labels;
};

class ImageFolderNode : public detail::DatasetNode {
 public:
  ImageFolderNode(Files files, ImageFolderOptions options) : files_(std::move(files)), options_(std::move(options)) {}
  std::string name() const override { return "image_folder"; }
  std::int64_t cardinality() const override { return static_cast<std::int64_t>(files_.paths.size()); }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const Files files_;
  const ImageFolderOptions options_;
};

// The whole file as 1-D u8; IoError naming the path when it cannot be read.
Tensor read_whole_file(const std::string& path) {
  std::unique_ptr<detail::ByteSource> source = detail::open_file_source(path);
  const std::optional<std::uint64_t> size = source->size();
  SPOOL_CHECK(size.has_value(), IoError, "ImageFolderDataset: ", spool::quoted(path), " is not a regular file");
  std::shared_ptr<Storage> storage = Storage::allocate(static_cast<std::size_t>(*size));
  const std::size_t got = source->read(storage->data(), storage->size());
  SPOOL_CHECK(got == *size, IoError, "ImageFolderDataset: ", spool::quoted(path), " changed while being read: expected ",
              *size, " bytes, read ", got);
  return Tensor(std::move(storage), DType::kU8, Shape{static_cast<std::int64_t>(*size)});
}

class ImageFolderIterator : public detail::IteratorBase {
 public:
  ImageFolderIterator(const ImageFolderNode& node, const detail::IteratorContext& context)
      : IteratorBase(node, context),
        node_(node),
        order_(node.files_.paths.size(), node.options_.shuffle(), node.options_.seed(), context.epoch + 1) {}

 private:
  std::optional<Element> get_next() override {
    const std::optional<std::size_t> k = order_.next();
    if (!k) return std::nullopt;
    const std::string& path = node_.files_.paths[*k];
    return Element({read_whole_file(path), Tensor::scalar<std::int64_t>(node_.files_.labels[*k]), Tensor::from_bytes(path)},
                   {"image", "label", "path"});
  }
  void save(StateWriter& writer) override { order_.save(writer); }
  void restore(StateReader& reader) override { order_.restore(reader, "image_folder"); }

  const ImageFolderNode& node_;
  detail::ListOrder order_;  // stream epoch + 1: stream 0 is the split's
};

std::unique_ptr<detail::IteratorBase> ImageFolderNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<ImageFolderIterator>(*this, context);
}

// Keras' get_training_or_validation_split: the last floor(split * n) files validate.
Files split(Files all, const ImageFolderOptions& options) {
  const std::size_t n = all.paths.size();
  if (options.shuffle()) {
    const std::vector<std::size_t> order = detail::seeded_permutation(n, *options.seed(), 0);
    Files shuffled;
    for (std::size_t k : order) {
      shuffled.paths.push_back(std::move(all.paths[k]));
      shuffled.labels.push_back(all.labels[k]);
    }
    all = std::move(shuffled);
  }
  const auto validation = static_cast<std::size_t>(options.validation_split() * static_cast<double>(n));
  const bool training = options.subset() == "training";
  const std::size_t begin = training ? 0 : n - validation;
  const std::size_t end = training ? n - validation : n;
  Files subset;
  subset.paths.assign(all.paths.begin() + static_cast<std::ptrdiff_t>(begin),
                      all.paths.begin() + static_cast<std::ptrdiff_t>(end));
  subset.labels.assign(all.labels.begin() + static_cast<std::ptrdiff_t>(begin),
                       all.labels.begin() + static_cast<std::ptrdiff_t>(end));
  return subset;
}

}  // namespace

ImageFolderOptions& ImageFolderOptions::validation_split(double fraction) {
  SPOOL_CHECK(fraction == 0 || (fraction > 0 && fraction < 1), InvalidArgument,
              "ImageFolderDataset: validation_split must be in (0, 1) (or 0: no split), got ", fraction);
  validation_split_ = fraction;
  return *this;
}

ImageFolderOptions& ImageFolderOptions::subset(std::string name) {
  SPOOL_CHECK(name == "training" || name == "validation", InvalidArgument,
              "ImageFolderDataset: subset must be 'training' or 'validation', got ", spool::quoted(name));
  subset_ = std::move(name);
  return *this;
}

std::vector<std::string> image_folder_classes(const std::string& directory) {
  std::error_code ec;
  SPOOL_CHECK(fs::is_directory(directory, ec), IoError, "ImageFolderDataset: ", spool::quoted(directory),
              " is not a folder");
  std::vector<std::string> classes;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec)) classes.push_back(it->path().filename().string());
  }
  SPOOL_CHECK(!ec, IoError, "ImageFolderDataset: cannot list ", spool::quoted(directory), ": ", ec.message());
  std::sort(classes.begin(), classes.end());
  return classes;
}

Dataset ImageFolderDataset(const std::string& directory, ImageFolderOptions options) {
  const bool splitting = options.validation_split() > 0;
  SPOOL_CHECK(splitting == !options.subset().empty(), InvalidArgument,
              "ImageFolderDataset: validation_split and subset go together; got validation_split ",
              options.validation_split(), " and subset ", spool::quoted(options.subset()));
  SPOOL_CHECK(!(splitting && options.shuffle() && !options.seed()), InvalidArgument,
              "ImageFolderDataset: a validation_split of shuffled files needs a seed, so that the training and "
              "validation subsets do not overlap");
  Files files;
  const std::vector<std::string> classes = image_folder_classes(directory);
  for (std::size_t label = 0; label < classes.size(); ++label) {
    for (std::string& path : images_under(fs::path(directory) / classes[label])) {
      files.paths.push_back(std::move(path));
      files.labels.push_back(static_cast<std::int64_t>(label));
    }
  }
  SPOOL_CHECK(!files.paths.empty(), InvalidArgument, "ImageFolderDataset: no images (png, jpg, jpeg) in the ",
              classes.size(), " class folders of ", spool::quoted(directory));
  if (splitting) files = split(std::move(files), options);
  return Dataset(std::make_shared<ImageFolderNode>(std::move(files), std::move(options)));
}

}  // namespace spool::data
