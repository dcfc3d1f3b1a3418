// SPDX-License-Identifier: Apache-2.0
#include "base/time.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace hearth {
namespace {

bool read_int(std::string_view& s, std::size_t digits, int& out) {
  if (s.size() < digits) return false;
  int v = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  s.remove_prefix(digits);
  return true;
}

bool expect(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<time_point> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  int y, mo, d, h, mi, sec;
  if (!read_int(s, 4, y) || !expect(s, '-') || !read_int(s, 2, mo) || !expect(s, '-') ||
      !read_int(s, 2, d))
    return std::nullopt;
  if (s.empty() || (s.front() != 'T' && s.front() != 't' && s.front() != ' ')) return std::nullopt;
  s.remove_prefix(1);
  if (!read_int(s, 2, h) || !expect(s, ':') || !read_int(s, 2, mi) || !expect(s, ':') ||
      !read_int(s, 2, sec))
    return std::nullopt;
  int ms = 0;
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    int n = 0;
    while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) {
      if (n < 3) ms = ms * 10 + (s.front() - '0');
      ++n;
      s.remove_prefix(1);
    }
    if (n == 0) return std::nullopt;
    for (; n < 3; ++n)
      ms *= 10;
  }
  minutes offset{0};
  if (s == "Z" || s == "z") {
    s.remove_prefix(1);
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    const int sign = s.front() == '+' ? 1 : -1;
    s.remove_prefix(1);
    int oh, om;
    if (!read_int(s, 2, oh) || !expect(s, ':') || !read_int(s, 2, om)) return std::nullopt;
    if (oh > 23 || om > 59) return std::nullopt;
    offset = minutes{sign * (oh * 60 + om)};
  } else {
    return std::nullopt;
  }
  if (!s.empty()) return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  const auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{std::min(sec, 59)} +
                 milliseconds{ms} - offset;
  return time_point{t};
}

std::string format_rfc3339(time_point t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  const auto ms = hms.subseconds().count();
  if (ms == 0)
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", int(ymd.year()),
                       unsigned(ymd.month()), unsigned(ymd.day()), hms.hours().count(),
                       hms.minutes().count(), hms.seconds().count());
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", int(ymd.year()),
                     unsigned(ymd.month()), unsigned(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count(), ms);
}

namespace {
/// The longest duration parse_duration accepts: 100 years, in milliseconds.
constexpr double k_max_duration_ms = 100.0 * 365.25 * 86'400'000;
}  // namespace

std::optional<duration> parse_duration(std::string_view s) {
  using namespace std::chrono;
  duration total{0};
  bool any = false;
  auto skip_space = [&] {
    while (!s.empty() && s.front() == ' ')
      s.remove_prefix(1);
  };
  skip_space();
  while (!s.empty()) {
    double n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc{} || n < 0) return std::nullopt;
    s.remove_prefix(static_cast<std::size_t>(p - s.data()));
    skip_space();
    std::size_t len = 0;
    while (len < s.size() && std::isalpha(static_cast<unsigned char>(s[len])))
      ++len;
    const std::string_view unit = s.substr(0, len);
    s.remove_prefix(len);
    double ms_per;
    if (unit == "ms")
      ms_per = 1;
    else if (unit == "s" || unit == "sec")
      ms_per = 1000;
    else if (unit == "m" || unit == "min")
      ms_per = 60'000;
    else if (unit == "h")
      ms_per = 3'600'000;
    else if (unit == "d")
      ms_per = 86'400'000;
    else
      return std::nullopt;
    // At most 100 years, checked before the conversion: a double past the range of long
    // long (a fuzzer's "8.8e64s", or "inf") is undefined behaviour to convert, and no
    // setting needs a century. "nan" fails the comparison too.
    const double ms = n * ms_per;
    if (!(ms <= k_max_duration_ms) || total.count() + ms > k_max_duration_ms) return std::nullopt;
    total += milliseconds{static_cast<long long>(ms)};
    any = true;
    skip_space();
  }
  if (!any) return std::nullopt;
  return total;
}

std::string describe_duration(duration d) {
  using namespace std::chrono;
  const auto total_s = duration_cast<seconds>(d).count();
  if (total_s < 60) return fmt::format("{} s", total_s);
  const auto total_min = total_s / 60;
  const auto days_ = total_min / (24 * 60);
  const auto h = (total_min / 60) % 24;
  const auto m = total_min % 60;
  std::string out;
  if (days_ > 0) out += fmt::format("{} d", days_);
  if (h > 0) out += fmt::format("{}{} h", out.empty() ? "" : " ", h);
  if (m > 0 || out.empty()) out += fmt::format("{}{} min", out.empty() ? "" : " ", m);
  return out;
}

}  // namespace hearth
