// SPDX-License-Identifier: Apache-2.0
#include "i18n/format.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <cmath>

#include "i18n/keys.hpp"

namespace hearth::i18n {
using namespace std::chrono;

const date::time_zone* zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return date::locate_zone("UTC");
  }
}

namespace {

date::local_time<minutes> local(const context& c, time_point t) {
  return floor<minutes>(date::make_zoned(c.tz, floor<minutes>(t)).get_local_time());
}

std::string word(const context& c, std::string_view key, std::optional<double> n = std::nullopt) {
  return std::string(c.words.get(c.locale, key, n));
}

std::string with(const context& c, std::string_view key, const std::map<std::string, arg>& args) {
  return render(c, message{std::string(key), args});
}

/// The date parts of a local time, ready for the time.* templates.
std::map<std::string, arg> date_args(const context& c, date::local_time<minutes> lt) {
  const auto day = floor<date::days>(lt);
  const date::year_month_day ymd{day};
  std::map<std::string, arg> a;
  a["year"] = arg::of_text(std::to_string(int(ymd.year())));
  a["month"] = arg::of_text(word(c, fmt::format("time.month.{}", unsigned(ymd.month()))));
  a["day"] = arg::of_text(std::to_string(unsigned(ymd.day())));
  return a;
}

}  // namespace

std::string format_time(const context& c, time_point t) {
  const auto lt = local(c, t);
  const auto hm = date::format("%H:%M", lt);
  const auto day = floor<date::days>(lt);
  const auto today = floor<date::days>(local(c, c.now));
  if (day == today) return hm;
  auto a = date_args(c, lt);
  a["time"] = arg::of_text(hm);
  const bool same_year = date::year_month_day{day}.year() == date::year_month_day{today}.year();
  return with(c, same_year ? "time.date_time.this_year" : "time.date_time.other_year", a);
}

std::string format_date(const context& c, time_point t) {
  const auto lt = local(c, t);
  const auto day = floor<date::days>(lt);
  const auto today = floor<date::days>(local(c, c.now));
  const bool same_year = date::year_month_day{day}.year() == date::year_month_day{today}.year();
  return with(c, same_year ? "time.date.this_year" : "time.date.other_year", date_args(c, lt));
}

std::string format_duration(const context& c, duration d) {
  const long long total_s = std::max<long long>(0, duration_cast<seconds>(d).count());
  const long long days = total_s / 86'400, h = total_s / 3600 % 24, m = total_s / 60 % 60,
                  s = total_s % 60;
  auto unit = [&](const char* key, long long n) {
    return with(c, key, {{"n", arg::of_number(static_cast<double>(n))}});
  };
  std::string first, second;
  if (days > 0) {
    first = unit("duration.days", days);
    if (h > 0) second = unit("duration.hours", h);
  } else if (h > 0) {
    first = unit("duration.hours", h);
    if (m > 0) second = unit("duration.minutes", m);
  } else if (m > 0) {
    first = unit("duration.minutes", m);
    if (s > 0) second = unit("duration.seconds", s);
  } else {
    first = unit("duration.seconds", s);
  }
  if (second.empty()) return first;
  return with(c, "duration.pair",
              {{"first", arg::of_text(std::move(first))}, {"second", arg::of_text(second)}});
}

std::string format_age(const context& c, time_point t) {
  const auto ago = duration_cast<minutes>(c.now - t).count();
  auto n = [](long long v) { return std::map<std::string, arg>{{"n", arg::of_number(double(v))}}; };
  if (ago < 1) return word(c, "age.now");
  if (ago < 60) return with(c, "age.minutes", n(ago));
  if (ago < 24 * 60) return with(c, "age.hours", n(ago / 60));
  return with(c, "age.days", n(ago / (24 * 60)));
}

std::string format_number(double v, int decimals) {
  if (!std::isfinite(v)) return "?";
  auto s = fmt::format("{:.{}f}", v, std::max(0, decimals));
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string format_quantity(const context& c, double v, std::string_view unit) {
  const auto* u = find_unit(unit);
  if (!u) return unit.empty() ? format_number(v, 2) : format_number(v, 2) + " " + std::string(unit);
  return with(c, fmt::format("unit.{}", u->key),
              {{"n", arg::of_text(format_number(v, u->decimals))}});
}

arg arg::of_text(std::string s) {
  arg a;
  a.k = kind::text;
  a.s = std::move(s);
  return a;
}
arg arg::of_number(double v) {
  arg a;
  a.k = kind::number;
  a.v = v;
  return a;
}
arg arg::of_quantity(double v, std::string unit) {
  arg a;
  a.k = kind::quantity;
  a.v = v;
  a.s = std::move(unit);
  return a;
}
arg arg::of_time(time_point t) {
  arg a;
  a.k = kind::time;
  a.t = t;
  return a;
}
arg arg::of_age(time_point t) {
  arg a;
  a.k = kind::age;
  a.t = t;
  return a;
}
arg arg::of_span(duration d) {
  arg a;
  a.k = kind::span;
  a.d = d;
  return a;
}
arg arg::of_message(message m) {
  arg a;
  a.k = kind::message;
  a.items.push_back(std::move(m));
  return a;
}
arg arg::of_list(std::vector<message> m) {
  arg a;
  a.k = kind::list;
  a.items = std::move(m);
  return a;
}

std::string render_arg(const context& c, const arg& a) {
  switch (a.k) {
    case arg::kind::text:
      return a.s;
    case arg::kind::number:
      return format_number(a.v, 2);
    case arg::kind::quantity:
      return format_quantity(c, a.v, a.s);
    case arg::kind::time:
      return format_time(c, a.t);
    case arg::kind::age:
      return format_age(c, a.t);
    case arg::kind::span:
      return format_duration(c, a.d);
    case arg::kind::message:
      return a.items.empty() ? std::string{} : render(c, a.items.front());
    case arg::kind::list: {
      // "a", "a和b" / "a and b", "a、b和c" / "a, b and c": built from the last pair up.
      if (a.items.empty()) return {};
      std::string tail = render(c, a.items.back());
      for (std::size_t i = a.items.size() - 1; i-- > 0;) {
        const bool last_pair = i + 2 == a.items.size();
        tail = with(c, last_pair ? "list.pair" : "list.more",
                    {{"first", arg::of_text(render(c, a.items[i]))},
                     {"rest", arg::of_text(std::move(tail))}});
      }
      return tail;
    }
  }
  return {};
}

std::string render_template(const context& c, std::string_view t,
                            const std::map<std::string, arg>& args) {
  std::string out;
  out.reserve(t.size() + 32);
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '{') {
      const auto close = t.find('}', i);
      if (close != std::string_view::npos) {
        auto it = args.find(std::string(t.substr(i + 1, close - i - 1)));
        if (it != args.end()) {
          out += render_arg(c, it->second);
          i = close;
          continue;
        }
      }
    }
    out.push_back(t[i]);
  }
  return out;
}

std::string render(const context& c, const message& m) {
  std::optional<double> n;
  if (auto it = m.args.find("n"); it != m.args.end() && it->second.k == arg::kind::number)
    n = it->second.v;
  return render_template(c, c.words.get(c.locale, m.key, n), m.args);
}

}  // namespace hearth::i18n
