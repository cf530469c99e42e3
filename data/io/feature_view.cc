#include "spool/data/io/feature_view.h"

#include <algorithm>
#include <cstring>

#include "spool/tensor/error.h"

namespace spool::data {
namespace {

// Feature's oneof: bytes_list = 1, float_list = 2, int64_list = 3.
FeatureKind kind_of_field(std::uint32_t field) {
  switch (field) {
    case 1: return FeatureKind::kBytes;
    case 2: return FeatureKind::kFloat;
    case 3: return FeatureKind::kInt64;
    default: return FeatureKind::kNone;
  }
}

std::uint32_t field_of_kind(FeatureKind kind) {
  switch (kind) {
    case FeatureKind::kBytes: return 1;
    case FeatureKind::kFloat: return 2;
    case FeatureKind::kInt64: return 3;
    case FeatureKind::kNone: return 0;
  }
  return 0;
}

// Validates one BytesList/FloatList/Int64List message and counts its values.
std::size_t count_values(WireReader list, FeatureKind kind) {
  std::size_t count = 0;
  while (!list.at_end()) {
    const WireTag tag = list.read_tag();
    if (tag.field != 1) {
      list.skip(tag);
      continue;
    }
    if (kind == FeatureKind::kBytes) {
      list.expect(tag, WireType::kLengthDelimited, "BytesList.value");
      list.read_length_delimited();
      ++count;
    } else if (tag.type == WireType::kLengthDelimited) {  // packed
      WireReader packed = list.read_message();
      if (kind == FeatureKind::kFloat) {
        if (packed.remaining() % 4 != 0) {
          packed.fail(packed.offset(), spool::detail::concat("packed FloatList of ", packed.remaining(),
                                                      " bytes, not a multiple of 4"));
        }
        count += packed.remaining() / 4;
      } else {
        for (; !packed.at_end(); ++count) packed.read_varint();
      }
    } else if (kind == FeatureKind::kFloat) {
      list.expect(tag, WireType::kFixed32, "FloatList.value");
      list.read_fixed32();
      ++count;
    } else {
      list.expect(tag, WireType::kVarint, "Int64List.value");
      list.read_varint();
      ++count;
    }
  }
  return count;
}

}  // namespace

std::string_view feature_kind_name(FeatureKind kind) {
  switch (kind) {
    case FeatureKind::kNone: return "none";
    case FeatureKind::kBytes: return "bytes";
    case FeatureKind::kFloat: return "float";
    case FeatureKind::kInt64: return "int64";
  }
  return "?";
}

std::string_view feature_kind_list_name(FeatureKind kind) {
  switch (kind) {
    case FeatureKind::kNone: return "no kind";
    case FeatureKind::kBytes: return "bytes_list";
    case FeatureKind::kFloat: return "float_list";
    case FeatureKind::kInt64: return "int64_list";
  }
  return "?";
}

FeatureView::FeatureView(WireReader feature)
    : offset_(feature.offset()), origin_(feature.origin()), context_(feature.context()) {
  const char* run_start = nullptr;
  while (!feature.at_end()) {
    const char* field_start = origin_ + feature.offset();
    const WireTag tag = feature.read_tag();
    const FeatureKind kind = kind_of_field(tag.field);
    if (kind == FeatureKind::kNone) {
      feature.skip(tag);
      continue;
    }
    feature.expect(tag, WireType::kLengthDelimited, feature_kind_list_name(kind));
    const std::size_t n = count_values(feature.read_message(), kind);
    // A different oneof member replaces what came before; the same one merges into it.
    if (kind != kind_) {
      kind_ = kind;
      count_ = 0;
      run_start = field_start;
    }
    count_ += n;
  }
  if (run_start != nullptr) lists_ = std::string_view(run_start, static_cast<std::size_t>(origin_ + feature.offset() - run_start));
}

template <typename Visit>
void FeatureView::for_each_list(Visit&& visit) const {
  WireReader in(origin_, lists_, context_);
  const std::uint32_t wanted = field_of_kind(kind_);
  while (!in.at_end()) {
    const WireTag tag = in.read_tag();
    if (tag.field == wanted) {
      visit(in.read_message());
    } else {
      in.skip(tag);
    }
  }
}

void FeatureView::check_kind(FeatureKind wanted) const {
  if (kind_ != wanted && kind_ != FeatureKind::kNone) {
    SPOOL_THROW(InvalidArgument, "Feature at offset ", offset_, " holds a ", feature_kind_list_name(kind_),
                ", read as ", feature_kind_list_name(wanted));
  }
}

template <typename T, typename ReadField>
std::size_t FeatureView::read_values(FeatureKind wanted, std::span<T> out, ReadField&& read_field) const {
  check_kind(wanted);
  std::size_t n = 0;
  if (kind_ == FeatureKind::kNone) return 0;
  for_each_list([&](WireReader list) {
    while (!list.at_end() && n < out.size()) {
      const WireTag tag = list.read_tag();
      if (tag.field == 1) {
        n += read_field(tag, list, out.subspan(n));
      } else {
        list.skip(tag);
      }
    }
  });
  return n;
}

std::size_t FeatureView::read_floats(std::span<float> out) const {
  return read_values(FeatureKind::kFloat, out, [](const WireTag& tag, WireReader& list, std::span<float> room) {
    if (tag.type == WireType::kLengthDelimited) {
      const std::string_view packed = list.read_length_delimited();
      const std::size_t take = std::min(packed.size() / 4, room.size());
      if (take > 0) std::memcpy(room.data(), packed.data(), take * 4);
      return take;
    }
    const std::uint32_t bits = list.read_fixed32();
    std::memcpy(room.data(), &bits, 4);
    return std::size_t{1};
  });
}

std::size_t FeatureView::read_int64s(std::span<std::int64_t> out) const {
  return read_values(FeatureKind::kInt64, out,
                     [](const WireTag& tag, WireReader& list, std::span<std::int64_t> room) {
                       if (tag.type != WireType::kLengthDelimited) {
                         room[0] = static_cast<std::int64_t>(list.read_varint());
                         return std::size_t{1};
                       }
                       WireReader packed = list.read_message();
                       std::size_t n = 0;
                       while (!packed.at_end() && n < room.size()) {
                         room[n++] = static_cast<std::int64_t>(packed.read_varint());
                       }
                       return n;
                     });
}

std::size_t FeatureView::read_bytes(std::span<std::string_view> out) const {
  return read_values(FeatureKind::kBytes, out, [](const WireTag&, WireReader& list, std::span<std::string_view> room) {
    room[0] = list.read_length_delimited();
    return std::size_t{1};
  });
}

std::vector<float> FeatureView::floats(std::size_t max) const {
  std::vector<float> out(kind_ == FeatureKind::kFloat ? std::min(max, count_) : 0);
  out.resize(read_floats(out));
  return out;
}

std::vector<std::int64_t> FeatureView::int64s(std::size_t max) const {
  std::vector<std::int64_t> out(kind_ == FeatureKind::kInt64 ? std::min(max, count_) : 0);
  out.resize(read_int64s(out));
  return out;
}

std::vector<std::string_view> FeatureView::bytes(std::size_t max) const {
  std::vector<std::string_view> out(kind_ == FeatureKind::kBytes ? std::min(max, count_) : 0);
  out.resize(read_bytes(out));
  return out;
}

MapEntryIterator::MapEntryIterator(WireReader container, std::uint32_t outer_field)
    : outer_(container),
      inner_(container.origin(), std::string_view(container.origin() + container.offset(), 0), container.context()),
      outer_field_(outer_field) {}

bool MapEntryIterator::next(std::string_view& key, WireReader& value) {
  for (;;) {
    while (!inner_.at_end()) {
      const WireTag tag = inner_.read_tag();
      if (tag.field != 1) {
        inner_.skip(tag);
        continue;
      }
      inner_.expect(tag, WireType::kLengthDelimited, "map entry");
      WireReader entry = inner_.read_message();
      const char* entry_begin = entry.origin() + entry.offset();
      key = std::string_view(entry_begin, 0);
      value = WireReader(entry.origin(), std::string_view(entry_begin, 0), entry.context());
      while (!entry.at_end()) {
        const WireTag field = entry.read_tag();
        if (field.field == 1) {
          entry.expect(field, WireType::kLengthDelimited, "map key");
          key = entry.read_length_delimited();
        } else if (field.field == 2) {
          entry.expect(field, WireType::kLengthDelimited, "map value");
          value = entry.read_message();
        } else {
          entry.skip(field);
        }
      }
      return true;
    }
    // The current map message is done: find the next occurrence of the map's field.
    for (;;) {
      if (outer_.at_end()) return false;
      const WireTag tag = outer_.read_tag();
      if (tag.field == outer_field_) {
        outer_.expect(tag, WireType::kLengthDelimited, "map message");
        inner_ = outer_.read_message();
        break;
      }
      outer_.skip(tag);
    }
  }
}

}  // namespace spool::data
