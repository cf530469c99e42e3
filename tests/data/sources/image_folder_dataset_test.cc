// ImageFolderDataset: Keras-style class folders on a generated tree (tiny fake image
// files for listing, real PNG/JPEG files written with Spool's encoders for decoding),
// splits, shuffles, label and colour modes, errors, and the real horse-or-human.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "data/pipeline_test_util.h"
#include "spool/data/image/jpeg.h"
#include "spool/data/image/png.h"
#include "spool/data/io/read_file.h"
#include "spool/data/sources/image_folder_dataset.h"
#include "test_support.h"

namespace spool::data {
namespace {

using spool::testing::drain;
using spool::testing::TempDir;

std::vector<std::string> paths_of(const std::vector<Element>& elements) {
  std::vector<std::string> out;
  for (const Element& e : elements) out.emplace_back(e["path"].as_string_view());
  return out;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

class ImageFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // cats: 3 images (one nested), dogs: 2, empty: none; plus files that are not images.
    for (const char* name : {"cats/b.png", "cats/a.JPG", "cats/deep/c.jpeg", "cats/notes.txt", "dogs/z.jpg",
                             "dogs/y.PNG", "dogs/x.gif", "top.png"}) {
      const std::filesystem::path path = dir_.path() / name;
      std::filesystem::create_directories(path.parent_path());
      spool::testing::write_file(path.string(), std::string("bytes of ") + name);
    }
    std::filesystem::create_directories(dir_.path() / "empty");
  }
  std::string root() const { return dir_.path().string(); }
  std::string at(const std::string& name) const { return dir_.file(name); }
  TempDir dir_;
};

TEST_F(ImageFolderTest, ClassesAreTheSortedSubFolders) {
  EXPECT_EQ(image_folder_classes(root()), (std::vector<std::string>{"cats", "dogs", "empty"}));
  EXPECT_THROW(image_folder_classes(at("absent")), IoError);
}

TEST_F(ImageFolderTest, UnshuffledFilesAreSortedPerClassWithLabelsAndBytes) {
  Dataset ds = ImageFolderDataset(root(), ImageFolderOptions().shuffle(false));
  EXPECT_EQ(ds.cardinality(), 5);
  std::vector<Element> all = drain(ds);
  EXPECT_EQ(paths_of(all), (std::vector<std::string>{at("cats/a.JPG"), at("cats/b.png"), at("cats/deep/c.jpeg"),
                                                     at("dogs/y.PNG"), at("dogs/z.jpg")}));
  EXPECT_EQ(spool::testing::scalars(all, 1), (std::vector<std::int64_t>{0, 0, 0, 1, 1}));
  EXPECT_EQ(all[0].names(), (std::vector<std::string>{"image", "label", "path"}));
  EXPECT_EQ(all[0]["image"].dtype(), DType::kU8);
  EXPECT_EQ(all[0]["image"].as_string_view(), "bytes of cats/a.JPG");
}

TEST_F(ImageFolderTest, ShuffleIsAPermutationPerSeedAndEpoch) {
  Dataset ds = ImageFolderDataset(root(), ImageFolderOptions().seed(5));
  const std::vector<std::string> first = paths_of(drain(ds));
  EXPECT_EQ(first, paths_of(drain(ImageFolderDataset(root(), ImageFolderOptions().seed(5)))));
  std::vector<std::string> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, paths_of(drain(ImageFolderDataset(root(), ImageFolderOptions().shuffle(false)))));
  const Dataset alike = ImageFolderDataset(root(), ImageFolderOptions().seed(5));
  const std::vector<std::string> epochs = paths_of(drain(alike.repeat(4)));
  ASSERT_EQ(epochs.size(), 20u);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), epochs.begin()));
  bool all_same = true;
  for (std::size_t i = 5; i < 20; ++i) all_same = all_same && epochs[i] == first[i % 5];
  EXPECT_FALSE(all_same);
  // Each new iterator of the dataset reshuffles too, as the dataset Keras returns.
  bool iterators_same = true;
  for (int k = 1; k < 4; ++k) iterators_same = iterators_same && paths_of(drain(ds)) == first;
  EXPECT_FALSE(iterators_same);
  spool::testing::expect_resumes_exactly(ds.repeat(2), spool::testing::all_cuts(ds.repeat(2)));
}

TEST_F(ImageFolderTest, SplitSubsetsAreDisjointAndCoverEveryFile) {
  for (bool shuffle : {false, true}) {
    SCOPED_TRACE(shuffle);
    auto options = ImageFolderOptions().validation_split(0.4).seed(11).shuffle(shuffle);
    Dataset training = ImageFolderDataset(root(), ImageFolderOptions(options).subset("training"));
    Dataset validation = ImageFolderDataset(root(), ImageFolderOptions(options).subset("validation"));
    EXPECT_EQ(training.cardinality(), 3);  // floor(0.4 * 5) = 2 files validate
    EXPECT_EQ(validation.cardinality(), 2);
    std::vector<std::string> t = paths_of(drain(training)), v = paths_of(drain(validation));
    std::set<std::string> both(t.begin(), t.end());
    both.insert(v.begin(), v.end());
    EXPECT_EQ(both.size(), 5u);
    if (!shuffle) {
      EXPECT_EQ(v, (std::vector<std::string>{at("dogs/y.PNG"), at("dogs/z.jpg")}));
    }
    // The same seed gives the same split.
    std::vector<std::string> again = paths_of(drain(ImageFolderDataset(root(), ImageFolderOptions(options).subset("validation"))));
    std::sort(again.begin(), again.end());
    std::sort(v.begin(), v.end());
    EXPECT_EQ(again, v);
  }
}

TEST_F(ImageFolderTest, BadOptionsAreErrors) {
  EXPECT_EQ(message_of([&] { ImageFolderDataset(root(), ImageFolderOptions().validation_split(0.2).seed(1)); }),
            "ImageFolderDataset: validation_split and subset go together; got validation_split 0.2 and subset ''");
  EXPECT_EQ(message_of([&] { ImageFolderDataset(root(), ImageFolderOptions().subset("training")); }),
            "ImageFolderDataset: validation_split and subset go together; got validation_split 0 and subset 'training'");
  EXPECT_EQ(message_of([&] { ImageFolderDataset(root(), ImageFolderOptions().validation_split(0.2).subset("training")); }),
            "ImageFolderDataset: a validation_split of shuffled files needs a seed, so that the training and "
            "validation subsets do not overlap");
  EXPECT_EQ(message_of([] { ImageFolderOptions().validation_split(1); }),
            "ImageFolderDataset: validation_split must be in (0, 1) (or 0: no split), got 1");
  EXPECT_EQ(message_of([] { ImageFolderOptions().subset("both"); }),
            "ImageFolderDataset: subset must be 'training' or 'validation', got 'both'");
  EXPECT_THROW(ImageFolderDataset(at("empty")), InvalidArgument);
}

TEST_F(ImageFolderTest, UnreadableFileIsAnIoErrorNamingThePath) {
  Dataset ds = ImageFolderDataset(root(), ImageFolderOptions().shuffle(false));
  std::filesystem::remove(at("cats/a.JPG"));
  Iterator it = ds.make_iterator();
  const std::string message = message_of([&] { it.next(); });
  EXPECT_NE(message.find("'" + at("cats/a.JPG") + "'"), std::string::npos) << message;
  EXPECT_THROW(ds.make_iterator().next(), IoError);
}

TEST(ImageFolderHorseOrHuman, ClassesCountsAndSplits) {
  const std::filesystem::path dir = spool::testing::shared_data_dir() / "horse-or-human";
  if (spool::testing::shared_data_dir().empty() || !std::filesystem::is_directory(dir / "train")) {
    GTEST_SKIP() << "../shared/data/horse-or-human is absent";
  }
  const std::string train = (dir / "train").string();
  EXPECT_EQ(image_folder_classes(train), (std::vector<std::string>{"horses", "humans"}));
  EXPECT_EQ(ImageFolderDataset(train).cardinality(), 300);
  Dataset validation_folder = ImageFolderDataset((dir / "validation").string(), ImageFolderOptions().shuffle(false));
  EXPECT_EQ(validation_folder.cardinality(), 256);
  std::vector<std::int64_t> labels = spool::testing::scalars(drain(validation_folder), 1);
  EXPECT_EQ(std::count(labels.begin(), labels.end(), 0), 128);
  EXPECT_EQ(std::count(labels.begin(), labels.end(), 1), 128);

  auto options = ImageFolderOptions().validation_split(0.2).seed(1337);
  Dataset t = ImageFolderDataset(train, ImageFolderOptions(options).subset("training"));
  Dataset v = ImageFolderDataset(train, ImageFolderOptions(options).subset("validation"));
  EXPECT_EQ(t.cardinality(), 240);
  EXPECT_EQ(v.cardinality(), 60);
  std::vector<Element> t_all = drain(t), v_all = drain(v);
  std::set<std::string> t_paths, v_paths;
  for (const auto& p : paths_of(t_all)) t_paths.insert(p);
  for (const auto& p : paths_of(v_all)) v_paths.insert(p);
  EXPECT_EQ(t_paths.size(), 240u);
  EXPECT_EQ(v_paths.size(), 60u);
  for (const auto& p : v_paths) EXPECT_EQ(t_paths.count(p), 0u) << p;
  // A PNG's bytes, read whole: the signature, and the label matches the folder.
  EXPECT_EQ(v_all[0]["image"].as_string_view().substr(1, 3), "PNG");
  const std::string first = std::string(v_all[0]["path"].as_string_view());
  EXPECT_EQ(v_all[0]["label"].item<std::int64_t>(), first.find("/humans/") != std::string::npos ? 1 : 0);
  std::set<std::string> again;
  for (const auto& p : paths_of(drain(ImageFolderDataset(train, ImageFolderOptions(options).subset("validation"))))) {
    again.insert(p);
  }
  EXPECT_EQ(again, v_paths);
}

// A solid-colour u8 image.
Tensor solid(std::int64_t h, std::int64_t w, std::vector<std::uint8_t> rgb) {
  Tensor t = Tensor::empty(Shape{h, w, static_cast<std::int64_t>(rgb.size())}, DType::kU8);
  std::uint8_t* d = t.data<std::uint8_t>();
  for (std::int64_t i = 0; i < t.numel(); ++i) d[i] = rgb[static_cast<std::size_t>(i) % rgb.size()];
  return t;
}

class ImageFolderDecodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write("cats/a.png", encode_png(solid(4, 6, {200, 10, 10})));
    write("cats/b.JPG", encode_jpeg(solid(32, 48, {10, 200, 10}), 95));
    write("dogs/c.jpeg", encode_jpeg(solid(8, 8, {90}), 95));
    write("dogs/d.PNG", encode_png(solid(5, 5, {1, 2, 3, 128})));
  }
  void write(const std::string& name, const std::string& bytes) {
    const std::filesystem::path path = dir_.path() / name;
    std::filesystem::create_directories(path.parent_path());
    spool::testing::write_file(path.string(), bytes);
  }
  std::string root() const { return dir_.path().string(); }
  ImageFolderOptions decoding() const { return ImageFolderOptions().shuffle(false).decode(true); }
  TempDir dir_;
};

TEST_F(ImageFolderDecodeTest, DecodesEachFileAtItsSizeAsRgbByDefault) {
  std::vector<Element> all = drain(ImageFolderDataset(root(), decoding()));
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0]["image"].shape(), (Shape{4, 6, 3}));
  EXPECT_EQ(all[0]["image"].dtype(), DType::kU8);
  EXPECT_EQ(all[0]["image"].to_vector<std::uint8_t>()[0], 200);
  EXPECT_EQ(all[1]["image"].shape(), (Shape{32, 48, 3}));
  EXPECT_EQ(all[2]["image"].shape(), (Shape{8, 8, 3}));  // gray JPEG replicated to RGB
  EXPECT_EQ(all[3]["image"].shape(), (Shape{5, 5, 3}));  // alpha dropped
  EXPECT_EQ(all[3]["image"].to_vector<std::uint8_t>()[2], 3);
  EXPECT_EQ(spool::testing::scalars(all, 1), (std::vector<std::int64_t>{0, 0, 1, 1}));
  EXPECT_NE(std::string(all[2]["path"].as_string_view()).find("c.jpeg"), std::string::npos);
}

TEST_F(ImageFolderDecodeTest, ColorModes) {
  std::vector<Element> gray = drain(ImageFolderDataset(root(), decoding().color_mode("grayscale")));
  EXPECT_EQ(gray[0]["image"].shape(), (Shape{4, 6, 1}));
  // libpng's 0.299 R + 0.587 G + 0.114 B of (200, 10, 10) is 66.8.
  EXPECT_NEAR(gray[0]["image"].to_vector<std::uint8_t>()[0], 67, 1);
  std::vector<Element> rgba = drain(ImageFolderDataset(root(), decoding().color_mode("rgba")));
  EXPECT_EQ(rgba[3]["image"].shape(), (Shape{5, 5, 4}));
  EXPECT_EQ(rgba[3]["image"].to_vector<std::uint8_t>()[3], 128);
  EXPECT_EQ(rgba[0]["image"].to_vector<std::uint8_t>()[3], 255);  // opaque alpha added
  EXPECT_THROW(ImageFolderOptions().color_mode("cmyk"), InvalidArgument);
}

TEST_F(ImageFolderDecodeTest, ImageSizeResizesToFloatWithDctScalingForJpeg) {
  std::vector<Element> all = drain(ImageFolderDataset(root(), decoding().image_size({8, 12})));
  for (const Element& e : all) {
    EXPECT_EQ(e["image"].shape(), (Shape{8, 12, 3}));
    EXPECT_EQ(e["image"].dtype(), DType::kF32);
  }
  EXPECT_FLOAT_EQ(all[0]["image"].to_vector<float>()[0], 200);  // a solid PNG stays solid, in [0, 255]
  // The 32 x 48 JPEG decodes at 1/4 (8 x 12) in the DCT domain: still green.
  const std::vector<float> green = all[1]["image"].to_vector<float>();
  EXPECT_NEAR(green[1], 200, 4);
  EXPECT_NEAR(green[0], 10, 4);
  // The same through a full decode.
  std::vector<Element> full = drain(ImageFolderDataset(root(), decoding().image_size({8, 12}).jpeg_dct_scaling(false)));
  EXPECT_NEAR(full[1]["image"].to_vector<float>()[1], 200, 4);
  EXPECT_THROW(ImageFolderOptions().image_size({0, 3}), InvalidArgument);
}

// The one-file functions give the dataset's pixels, from a path or from bytes in memory.
TEST_F(ImageFolderDecodeTest, OneFileFunctionsGiveTheDatasetsPixels) {
  const ImageFolderOptions sized = decoding().image_size({8, 12});
  const std::vector<Element> all = drain(ImageFolderDataset(root(), sized));
  const std::string jpeg = (dir_.path() / "cats/b.JPG").string();
  const Tensor bytes = read_file(jpeg);
  EXPECT_EQ(decode_image_file(bytes.as_string_view(), jpeg, sized).to_vector<float>(),
            all[1]["image"].to_vector<float>());
  EXPECT_EQ(load_image_file(jpeg, sized).to_vector<float>(), all[1]["image"].to_vector<float>());
  const Tensor u8 = decode_image_file(bytes.as_string_view(), jpeg, decoding());
  EXPECT_EQ(u8.dtype(), DType::kU8);
  EXPECT_EQ(u8.shape(), (Shape{32, 48, 3}));
  const std::string message = message_of([&] { decode_image_file("not an image", "cats/x.png", sized); });
  EXPECT_NE(message.find("cats/x.png"), std::string::npos) << message;
}

// Columns 0, 0, 255 repeating: shrinking 12 -> 3 columns, area averages four source
// columns per output (0, 0, 255, 0 -> 63.75 for the first), bilinear blends columns 1
// and 2 (127.5) -- the aliasing area interpolation exists to avoid.
TEST(ImageFolderInterpolation, AreaAveragesEverySourcePixelAsKeras) {
  TempDir dir;
  Tensor stripes = Tensor::empty(Shape{2, 12, 3}, DType::kU8);
  for (std::int64_t i = 0; i < stripes.numel(); ++i) {
    stripes.data<std::uint8_t>()[i] = (i / 3) % 12 % 3 == 2 ? 255 : 0;
  }
  std::filesystem::create_directories(dir.path() / "only");
  spool::testing::write_file((dir.path() / "only" / "s.png").string(), encode_png(stripes));
  const auto first_pixel = [&](const std::string& method) {
    ImageFolderOptions options = ImageFolderOptions().decode(true).image_size({1, 3});
    if (!method.empty()) options.interpolation(method);
    std::vector<Element> all = drain(ImageFolderDataset(dir.path().string(), options));
    EXPECT_EQ(all[0]["image"].dtype(), DType::kF32);
    EXPECT_EQ(all[0]["image"].shape(), (Shape{1, 3, 3}));
    return all[0]["image"].to_vector<float>()[0];
  };
  EXPECT_FLOAT_EQ(first_pixel("area"), 63.75f);
  EXPECT_FLOAT_EQ(first_pixel("bilinear"), 127.5f);
  EXPECT_FLOAT_EQ(first_pixel(""), 127.5f);  // Keras' default
  EXPECT_FLOAT_EQ(first_pixel("nearest"), 255.0f);  // column floor(0.5 * 12 / 3) = 2, as f32 too
  EXPECT_EQ(message_of([] { ImageFolderOptions().interpolation("lanczos3"); }),
            "ImageFolderDataset: interpolation must be 'bilinear', 'nearest', 'bicubic' or 'area', got 'lanczos3'");
}

TEST_F(ImageFolderDecodeTest, LabelModes) {
  std::vector<Element> cat = drain(ImageFolderDataset(root(), decoding().label_mode("categorical")));
  EXPECT_EQ(cat[0]["label"].to_vector<float>(), (std::vector<float>{1, 0}));
  EXPECT_EQ(cat[3]["label"].to_vector<float>(), (std::vector<float>{0, 1}));
  std::vector<Element> bin = drain(ImageFolderDataset(root(), ImageFolderOptions().shuffle(false).label_mode("binary")));
  EXPECT_EQ(bin[0]["label"].shape(), (Shape{1}));
  EXPECT_EQ(bin[0]["label"].to_vector<float>(), (std::vector<float>{0}));
  EXPECT_EQ(bin[2]["label"].to_vector<float>(), (std::vector<float>{1}));
  write("birds/e.png", encode_png(solid(2, 2, {1, 2, 3})));
  EXPECT_THROW(ImageFolderDataset(root(), decoding().label_mode("binary")), InvalidArgument);
  EXPECT_EQ(drain(ImageFolderDataset(root(), decoding().label_mode("categorical")))[0]["label"].numel(), 3);
  EXPECT_THROW(ImageFolderOptions().label_mode("sparse"), InvalidArgument);
}

TEST_F(ImageFolderDecodeTest, CorruptFileIsAnErrorNamingItOrCountedAndSkipped) {
  write("dogs/broken.png", std::string("\x89PNG\r\n\x1a\n", 8) + "not really a png");
  const std::string broken = (dir_.path() / "dogs" / "broken.png").string();
  Dataset strict = ImageFolderDataset(root(), decoding());
  const std::string message = message_of([&] { drain(strict); });
  EXPECT_NE(message.find("'" + broken + "'"), std::string::npos) << message;
  EXPECT_THROW(drain(strict), DataLossError);

  Dataset lenient = ImageFolderDataset(root(), decoding().ignore_errors(true).decode_parallelism(2));
  Iterator it = lenient.make_iterator();
  std::int64_t n = 0;
  while (it.next()) ++n;
  EXPECT_EQ(n, 4);
  const PipelineStats stats = it.stats();
  ASSERT_FALSE(stats.stages.empty());
  EXPECT_EQ(stats.stages.back().name, "ignore_errors");
  EXPECT_EQ(stats.stages.back().skipped_errors, 1);
}

TEST(ImageFolderHorseOrHuman, DecodesResizedBinaryLabelledImages) {
  const std::filesystem::path dir = spool::testing::shared_data_dir() / "horse-or-human" / "train";
  if (spool::testing::shared_data_dir().empty() || !std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << "../shared/data/horse-or-human is absent";
  }
  Dataset ds = ImageFolderDataset(dir.string(), ImageFolderOptions().seed(1).decode(true).image_size({150, 150})
                                                    .label_mode("binary").decode_parallelism(2))
                   .take(6);
  std::vector<Element> all = drain(ds);
  ASSERT_EQ(all.size(), 6u);
  for (const Element& e : all) {
    ASSERT_EQ(e["image"].shape(), (Shape{150, 150, 3}));
    const std::vector<float> v = e["image"].to_vector<float>();
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    EXPECT_GE(*lo, 0.0f);
    EXPECT_LE(*hi, 255.0f);
    EXPECT_GT(*hi - *lo, 50.0f);
    const bool human = std::string(e["path"].as_string_view()).find("/humans/") != std::string::npos;
    EXPECT_EQ(e["label"].to_vector<float>()[0], human ? 1.0f : 0.0f);
  }
}

}  // namespace
}  // namespace spool::data
