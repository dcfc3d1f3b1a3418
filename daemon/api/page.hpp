// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Pagination of every list endpoint (issue 18): an answer holds at most `limit` items
/// (`?limit=N`, 1 to `k_max_page`, default `k_default_page`) and, when more follow,
/// `"next_cursor": "<opaque>"`; `?cursor=<that>` asks for the next page (keyset: the
/// cursor names the last item sent, so a page never repeats or skips an item because
/// others were added meanwhile). At the end `next_cursor` is null.
///
/// A cursor is the last item's sort key, as text parts, hex-encoded so that it is opaque and
/// URL-safe. Each endpoint decides its key (alerts: priority, opened_at, id; devices: id).
/// Pure functions; any thread.

#include <boost/json/object.hpp>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "api/http_server.hpp"
#include "base/result.hpp"

namespace hearth::api {

inline constexpr std::size_t k_default_page = 100;
inline constexpr std::size_t k_max_page = 1000;

struct page {
  std::size_t limit = k_default_page;
  /// The decoded cursor: the sort key of the last item already sent; empty: the first page.
  std::vector<std::string> after;
};

/// Reads `limit` and `cursor` from the query. A cursor must have `key_parts` parts.
/// Errors (`bad-request`): a limit that is not 1 to `k_max_page`, a cursor this endpoint
/// did not give.
result<page> read_page(const request& r, std::size_t key_parts);

/// The cursor that continues after an item with this sort key.
std::string make_cursor(const std::vector<std::string>& key);

/// Sets `"next_cursor"` in `o`: the cursor for `last_key`, or null when nothing follows.
void set_next_cursor(boost::json::object& o,
                     const std::optional<std::vector<std::string>>& last_key);

/// Part `i` of the page's cursor as a whole number (a time, a priority, an offset);
/// nullopt when it is not one, all of it.
template <class T>
std::optional<T> cursor_number(const page& p, std::size_t i) {
  if (i >= p.after.size()) return std::nullopt;
  const auto& s = p.after[i];
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

/// 400 `bad-request`: a cursor whose parts this endpoint cannot read.
response bad_cursor();

/// One page of an in-memory list that is already in its sort order.
template <class T>
struct paged {
  std::vector<const T*> items;
  std::optional<std::vector<std::string>> next;  ///< the last item's key, when more follow
};

/// The items of `all` that come after `p.after` (`comes_after(item, key)`), at most
/// `p.limit` of them; `key_of(item)` makes the cursor of the last one when more follow.
template <class T, class Range, class ComesAfter, class KeyOf>
paged<T> take_page(const Range& all, const page& p, ComesAfter comes_after, KeyOf key_of) {
  paged<T> out;
  for (const auto& x : all) {
    if (!p.after.empty() && !comes_after(x, p.after)) continue;
    if (out.items.size() == p.limit) {
      out.next = key_of(*out.items.back());
      break;
    }
    out.items.push_back(&x);
  }
  return out;
}

}  // namespace hearth::api
