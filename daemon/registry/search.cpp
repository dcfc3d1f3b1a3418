// SPDX-License-Identifier: Apache-2.0
#include "registry/search.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace hearth::registry {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  // ASCII only: CJK text has no case, and UTF-8 continuation bytes are left alone.
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool phone_like(std::string_view t) {
  // "3-502" is a building and a unit, not the end of a phone number.
  int digits = 0;
  bool dash = false;
  for (char c : t) {
    dash |= c == '-' || c == ' ';
    if (std::isdigit(static_cast<unsigned char>(c)))
      ++digits;
    else if (c != '+' && c != '-' && c != '.' && c != ' ' && c != '(' && c != ')')
      return false;
  }
  return digits >= (dash ? 7 : 4);
}

/// Splits at white space, and "3栋502" / "3号楼502" into "3栋" and "502". A trailing 栋,
/// 号楼, 室 or 号 is dropped from a term ("502室" is unit 502).
std::vector<std::string> terms_of(std::string_view q) {
  std::vector<std::string> raw;
  std::string cur;
  for (char c : q) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
      if (!cur.empty()) raw.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) raw.push_back(std::move(cur));
  // U+3000 (ideographic space) separates terms too.
  std::vector<std::string> split;
  for (auto& t : raw) {
    std::size_t at;
    while ((at = t.find("\u3000")) != std::string::npos) {
      if (at) split.push_back(t.substr(0, at));
      t.erase(0, at + 3);
    }
    if (!t.empty()) split.push_back(t);
  }
  std::vector<std::string> out;
  for (auto& t : split) {
    for (std::string_view mark : {"号楼", "栋"}) {
      const auto at = t.find(mark);
      if (at != std::string::npos && at > 0 && at + mark.size() < t.size()) {
        out.push_back(t.substr(0, at));
        t.erase(0, at + mark.size());
        break;
      }
    }
    for (std::string_view suffix : {"号楼", "栋", "室", "号"})
      if (t.size() > suffix.size() && std::string_view(t).ends_with(suffix)) {
        t.erase(t.size() - suffix.size());
        break;
      }
    if (!t.empty()) out.push_back(std::move(t));
  }
  return out;
}

struct term {
  std::string text;    ///< lower-cased
  std::string digits;  ///< set when the term reads as a phone number
};

std::string strip_letters(std::string_view b) {
  std::string out;
  for (char c : b)
    if (!std::isalpha(static_cast<unsigned char>(c))) out += c;
  return out;
}

/// The best match of one term in one resident's fields: (score, field), or nullopt.
std::optional<std::pair<int, match_field>> best(const term& t, const resident& r,
                                                const household* h) {
  std::optional<std::pair<int, match_field>> b;
  auto take = [&](int score, match_field f) {
    if (!b || score > b->first) b = {score, f};
  };
  if (!t.digits.empty()) {
    for (auto [phone, field] : {std::pair{r.phone, match_field::phone},
                                std::pair{r.emergency_phone, match_field::emergency_phone}}) {
      const auto d = phone_digits(phone);
      if (d.empty()) continue;
      // The caller's own phone ranks above their emergency contact's.
      const int own = field == match_field::phone ? 5 : 0;
      if (d == t.digits)
        take(100 + own, field);
      else if (d.find(t.digits) != std::string::npos)
        take(60 + own, field);
    }
  }
  const auto rid = lower(r.id);
  const auto hid = lower(r.household_id);
  if (rid == t.text) take(95, match_field::resident_id);
  if (hid == t.text || (hid.size() > t.text.size() && hid.ends_with(t.text) &&
                        hid[hid.size() - t.text.size() - 1] == '-'))
    take(hid == t.text ? 94 : 45, match_field::household_id);
  for (auto [text, field] : {std::pair{r.name, match_field::name},
                             std::pair{r.emergency_contact, match_field::emergency_contact}}) {
    if (text.empty()) continue;
    const auto n = lower(text);
    const int own = field == match_field::name ? 5 : 0;
    if (n == t.text)
      take(85 + own, field);
    else if (n.starts_with(t.text))
      take(70 + own, field);
    else if (n.find(t.text) != std::string::npos)
      take(50 + own, field);
  }
  if (h) {
    if (lower(h->unit) == t.text) take(40, match_field::unit);
    const auto bld = lower(h->building);
    if (bld == t.text || (!t.text.empty() && strip_letters(bld) == t.text))
      take(bld == t.text ? 30 : 25, match_field::building);
  }
  return b;
}

}  // namespace

std::string_view match_field_name(match_field f) {
  switch (f) {
    case match_field::phone:
      return "phone";
    case match_field::emergency_phone:
      return "emergency_phone";
    case match_field::resident_id:
      return "resident_id";
    case match_field::household_id:
      return "household_id";
    case match_field::name:
      return "name";
    case match_field::emergency_contact:
      return "emergency_contact";
    case match_field::unit:
      return "unit";
    case match_field::building:
      return "building";
  }
  return "name";
}

std::string phone_digits(std::string_view phone) {
  std::string d;
  for (char c : phone)
    if (std::isdigit(static_cast<unsigned char>(c))) d += c;
  // Mainland numbers are 11 digits (mobile) or up to 12 with an area code; a longer
  // number that starts with the country code carries it in front.
  if (d.size() > 12 && d.starts_with("0086"))
    d.erase(0, 4);
  else if (d.size() > 11 && d.starts_with("86"))
    d.erase(0, 2);
  return d;
}

search_result search(const registry& reg, std::string_view query,
                     const std::function<bool(const resident&)>& visible, std::size_t limit) {
  search_result out;
  std::vector<term> terms;
  // A number typed as it is said, in groups ("+86 138 0013 8000"), is one number.
  const auto first = query.find_first_not_of(" \t");
  const auto last = query.find_last_not_of(" \t");
  const auto trimmed =
      first == std::string_view::npos ? std::string_view{} : query.substr(first, last - first + 1);
  auto split =
      phone_like(trimmed) ? std::vector<std::string>{std::string(trimmed)} : terms_of(query);
  for (auto& t : split) {
    term x{lower(t), {}};
    if (phone_like(t)) x.digits = phone_digits(t);
    terms.push_back(std::move(x));
  }
  if (terms.empty() || limit == 0) return out;
  for (const auto& r : reg.all().residents) {
    const auto* h = reg.find_household(r.household_id);
    int score = 0;
    std::optional<std::pair<int, match_field>> top;
    bool all = true;
    for (const auto& t : terms) {
      auto b = best(t, r, h);
      if (!b) {
        all = false;
        break;
      }
      score += b->first;
      if (!top || b->first > top->first) top = b;
    }
    if (!all || !visible(r)) continue;
    out.hits.push_back({&r, top->second, score});
  }
  auto key = [&](const search_hit& x) {
    const auto* h = reg.find_household(x.who->household_id);
    return std::tuple(-x.score, h ? h->building : std::string_view{},
                      h ? h->unit : std::string_view{}, x.who->name, x.who->id);
  };
  std::sort(out.hits.begin(), out.hits.end(),
            [&](const search_hit& a, const search_hit& b) { return key(a) < key(b); });
  if (out.hits.size() > limit) {
    out.hits.resize(limit);
    out.truncated = true;
  }
  return out;
}

}  // namespace hearth::registry
