// ImageFolderDataset: Keras' index_directory + get_training_or_validation_split, then a
// source that reads each file's bytes. Keras shuffles the file list with NumPy's
// RandomState(seed) before splitting; we cannot match that generator bit for bit, so the
// split uses our Philox permutation keyed by (seed, stream 0) instead: the same seed
// gives the same split here, but not the same files as Keras. Each epoch then visits the
// subset in a permutation keyed by (seed, iteration, epoch + 1) (seeded_order.h; Keras
// reshuffles with a buffer).
#include "spool/data/sources/image_folder_dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <utility>

#include "spool/data/image/decode_image.h"
#include "spool/data/image/jpeg.h"
#include "spool/data/io/read_file.h"
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
  std::int64_t num_classes = 0;
};

// The label in Keras' label_mode: int i64[], categorical f32[classes], binary f32[1].
Tensor label_tensor(std::int64_t label, const std::string& mode, std::int64_t num_classes) {
  if (mode == "int") return Tensor::scalar<std::int64_t>(label);
  if (mode == "binary") return Tensor::from_vector<float>({static_cast<float>(label)}, Shape{1});
  Tensor one_hot = Tensor::zeros(Shape{num_classes}, DType::kF32);
  one_hot.data<float>()[label] = 1.0f;
  return one_hot;
}

class ImageFolderNode : public detail::DatasetNode {
 public:
  ImageFolderNode(Files files, ImageFolderOptions options) : files_(std::move(files)), options_(std::move(options)) {}
  std::string name() const override { return "image_folder"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr>) const override {
    return std::make_shared<ImageFolderNode>(files_, options_);
  }
  std::int64_t cardinality() const override { return static_cast<std::int64_t>(files_.paths.size()); }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;
  detail::IterationCounter* iteration_counter() const override {
    return options_.shuffle() ? iterations_.get() : nullptr;
  }
  std::optional<detail::FileList> file_list() const override {
    return detail::FileList{files_.paths, options_.shuffle(), options_.seed()};
  }

  const Files files_;
  const ImageFolderOptions options_;
  // The iterators made of this stage, for a new order per iterator (seeded_order.h).
  const std::unique_ptr<detail::IterationCounter> iterations_ = std::make_unique<detail::IterationCounter>();
};

class ImageFolderIterator : public detail::IteratorBase {
 public:
  ImageFolderIterator(const ImageFolderNode& node, const detail::IteratorContext& context)
      : IteratorBase(node, context),
        node_(node),
        order_(node.files_.paths.size(), node.options_.shuffle(), node.options_.seed(), *node.iterations_, context,
               context.epoch + 1) {}

 private:
  std::optional<Element> get_next() override {
    const std::optional<std::size_t> k = order_.next();
    if (!k) return std::nullopt;
    const std::string& path = node_.files_.paths[*k];
    const ImageFolderOptions& o = node_.options_;
    // When decoding, the map stage after this source reads the file (in parallel).
    Tensor image = o.decode() ? Tensor::empty(Shape{0}, DType::kU8) : read_file(path);
    return Element({std::move(image), label_tensor(node_.files_.labels[*k], o.label_mode(), node_.files_.num_classes),
                    Tensor::from_bytes(path)},
                   names_);
  }
  void save(StateWriter& writer) override { order_.save(writer); }
  void restore(StateReader& reader) override { order_.restore(reader, context(), "image_folder"); }

  const ImageFolderNode& node_;
  detail::ListOrder order_;  // stream epoch + 1: stream 0 is the split's
  const Element::Names names_ = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"image", "label", "path"});
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
    shuffled.num_classes = all.num_classes;
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
  subset.num_classes = all.num_classes;
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

ImageFolderOptions& ImageFolderOptions::label_mode(std::string mode) {
  SPOOL_CHECK(mode == "int" || mode == "categorical" || mode == "binary", InvalidArgument,
              "ImageFolderDataset: label_mode must be 'int', 'categorical' or 'binary', got ", spool::quoted(mode));
  label_mode_ = std::move(mode);
  return *this;
}

ImageFolderOptions& ImageFolderOptions::color_mode(std::string mode) {
  SPOOL_CHECK(mode == "grayscale" || mode == "rgb" || mode == "rgba", InvalidArgument,
              "ImageFolderDataset: color_mode must be 'grayscale', 'rgb' or 'rgba', got ", spool::quoted(mode));
  color_mode_ = std::move(mode);
  return *this;
}

ImageFolderOptions& ImageFolderOptions::image_size(ImageSize size) {
  SPOOL_CHECK(size.height > 0 && size.width > 0, InvalidArgument, "ImageFolderDataset: image_size must be positive, got ",
              size.height, "x", size.width);
  image_size_ = size;
  return *this;
}

ImageFolderOptions& ImageFolderOptions::interpolation(std::string_view method) {
  try {
    interpolation_ = parse_resize_method(method);
  } catch (const InvalidArgument&) {
    SPOOL_THROW(InvalidArgument,
                "ImageFolderDataset: interpolation must be 'bilinear', 'nearest', 'bicubic' or 'area', got ",
                spool::quoted(std::string(method)));
  }
  return *this;
}

ImageFolderOptions& ImageFolderOptions::decode_parallelism(std::int64_t n) {
  SPOOL_CHECK(n >= 1 || n == kAutotune, InvalidArgument,
              "ImageFolderDataset: decode_parallelism must be >= 1 or kAutotune, got ", n);
  decode_parallelism_ = n;
  return *this;
}

Tensor load_image_file(const std::string& path, const ImageFolderOptions& options) {
  return decode_image_file(read_file(path).as_string_view(), path, options);
}

Tensor decode_image_file(std::string_view bytes, std::string_view path, const ImageFolderOptions& options) {
  const int channels = options.color_mode() == "grayscale" ? 1 : options.color_mode() == "rgba" ? 4 : 3;
  DecodeOptions decode = DecodeOptions().channels(channels);
  const std::optional<ImageSize>& size = options.image_size();
  if (size && options.jpeg_dct_scaling() && detect_image_format(bytes, path) == ImageFormat::kJpeg) {
    const ImageInfo info = read_image_info(bytes, path);
    decode.ratio(jpeg_ratio_for(info.height, info.width, size->height, size->width));
  }
  Tensor image = decode_image(bytes, path, decode);
  if (!size) return image;
  // Nearest keeps u8; the folder's contract is f32 pixels in [0, 255] once resized.
  Tensor resized = resize(image, *size, options.interpolation());
  return resized.dtype() == DType::kF32 ? resized : resized.cast(DType::kF32);
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

ImageFolderFiles image_folder_files(const std::string& directory, const ImageFolderOptions& options) {
  const bool splitting = options.validation_split() > 0;
  SPOOL_CHECK(splitting == !options.subset().empty(), InvalidArgument,
              "ImageFolderDataset: validation_split and subset go together; got validation_split ",
              options.validation_split(), " and subset ", spool::quoted(options.subset()));
  SPOOL_CHECK(!(splitting && options.shuffle() && !options.seed()), InvalidArgument,
              "ImageFolderDataset: a validation_split of shuffled files needs a seed, so that the training and "
              "validation subsets do not overlap");
  Files files;
  const std::vector<std::string> classes = image_folder_classes(directory);
  files.num_classes = static_cast<std::int64_t>(classes.size());
  SPOOL_CHECK(options.label_mode() != "binary" || classes.size() == 2, InvalidArgument,
              "ImageFolderDataset: label_mode 'binary' needs exactly 2 class folders, ", spool::quoted(directory),
              " has ", classes.size());
  for (std::size_t label = 0; label < classes.size(); ++label) {
    for (std::string& path : images_under(fs::path(directory) / classes[label])) {
      files.paths.push_back(std::move(path));
      files.labels.push_back(static_cast<std::int64_t>(label));
    }
  }
  SPOOL_CHECK(!files.paths.empty(), InvalidArgument, "ImageFolderDataset: no images (png, jpg, jpeg) in the ",
              classes.size(), " class folders of ", spool::quoted(directory));
  if (splitting) files = split(std::move(files), options);
  return {classes, std::move(files.paths), std::move(files.labels)};
}

Dataset ImageFolderDataset(const std::string& directory, ImageFolderOptions options) {
  ImageFolderFiles listed = image_folder_files(directory, options);
  Files files{std::move(listed.paths), std::move(listed.labels), static_cast<std::int64_t>(listed.classes.size())};
  const ImageFolderOptions kept = options;
  Dataset files_ds(std::make_shared<ImageFolderNode>(std::move(files), std::move(options)));
  if (!kept.decode()) return kept.ignore_errors() ? files_ds.ignore_errors() : files_ds;
  Dataset decoded = files_ds.map(
      [kept](Element e) {
        e[0] = load_image_file(std::string(e[2].as_string_view()), kept);
        return e;
      },
      MapOptions().parallelism(kept.decode_parallelism()).name("decode_image"));
  return kept.ignore_errors() ? decoded.ignore_errors() : decoded;
}

}  // namespace spool::data
