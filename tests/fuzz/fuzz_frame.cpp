// SPDX-License-Identifier: Apache-2.0
// Fuzzes binary frame decoding and base64: every field width and endianness at every offset
// the input allows, and the reference water-meter frame from base64 text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "catalog/device_type.hpp"
#include "normalize/normalizer.hpp"

namespace {
const hearth::catalog::frame_spec& all_kinds() {
  static const auto spec = [] {
    using k = hearth::catalog::frame_field::kind;
    hearth::catalog::frame_spec s;
    const k kinds[] = {k::u8,    k::u16le, k::u16be, k::u32le, k::u32be, k::i8,
                       k::i16le, k::i16be, k::i32le, k::i32be, k::bit};
    std::size_t n = 0;
    for (std::size_t off = 0; off < 8; ++off)
      for (auto kind : kinds) {
        hearth::catalog::frame_field f;
        f.name = "f" + std::to_string(n++);
        f.offset = off;
        f.type = kind;
        f.bit = static_cast<int>(off % 8);
        s.fields.push_back(f);
        s.min_length = std::max(
            s.min_length,
            off + (kind == k::u32le || kind == k::u32be || kind == k::i32le || kind == k::i32be ? 4u
                   : kind == k::u8 || kind == k::i8 || kind == k::bit                           ? 1u
                                                                      : 2u));
      }
    return s;
  }();
  return spec;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto frame = hearth::normalize::decode_frame(all_kinds(), bytes);
  if (frame && size < all_kinds().min_length) __builtin_trap();  // a short frame must be refused
  if (auto decoded = hearth::normalize::base64_decode(bytes)) {
    if (decoded->size() > size) __builtin_trap();
    (void)hearth::normalize::decode_frame(all_kinds(), *decoded);
  }
  return 0;
}
