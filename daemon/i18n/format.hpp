// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Turning values into words in one locale: times ("16:27" today, "12月1日 16:27" /
/// "1 Dec 16:27" on another day, with the year when it is not this year), durations
/// ("3分18秒" / "3 min 18 s"), ages ("2天前" / "2 days ago"), readings with their units
/// ("35 %LEL", "8 升" / "8 L"), and messages: a catalogue key with typed arguments, so
/// that one message renders in every language.
///
/// Pure functions over the catalogue; "today" is judged against `context::now` in
/// `context::tz`. Nothing here reads the clock.

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "i18n/catalogue.hpp"

namespace date {
class time_zone;
}

namespace hearth::i18n {

/// Where and when a text is rendered.
struct context {
  const catalogue& words;
  std::string_view locale;
  const date::time_zone* tz;  ///< local time of the community
  time_point now;             ///< "today" and ages are judged against this
};

/// The zone named `name`, or UTC when it is unknown (config validation reports that).
const date::time_zone* zone(const std::string& name);

/// "16:27" when `t` is on `now`'s local day; else with the date ("12月1日 16:27"), and the
/// year when it is another year.
std::string format_time(const context& c, time_point t);
/// The date alone ("12月1日" / "1 Dec"; with the year when not this year).
std::string format_date(const context& c, time_point t);
/// The two largest units: "3分18秒" / "3 min 18 s", "9小时50分" / "9 h 50 min",
/// "2天3小时" / "2 d 3 h"; "0秒" / "0 s" for nothing. Negative durations read as zero.
std::string format_duration(const context& c, duration d);
/// How long ago `t` was, against `now`: "刚刚" / "just now" (under a minute), then
/// minutes, hours, days. A time in the future reads as "just now".
std::string format_age(const context& c, time_point t);
/// A number with the decimals its unit shows (trailing zeros dropped): "35", "3.2".
std::string format_number(double v, int decimals);
/// A reading or figure in its unit: "35 %LEL", "8 升" / "8 L". An unknown unit is written
/// after the number as given.
std::string format_quantity(const context& c, double v, std::string_view unit);

struct message;

/// One argument of a message.
struct arg {
  enum class kind { text, number, quantity, time, age, span, message, list };
  kind k = kind::text;
  std::string s;   ///< text: verbatim (an id, a registry location); quantity: the unit symbol
  double v = 0;    ///< number, quantity
  time_point t{};  ///< time, age
  duration d{};    ///< span
  std::vector<message> items;  ///< message: exactly one; list: joined ("a、b和c" / "a, b and c")

  static arg of_text(std::string s);
  static arg of_number(double v);
  static arg of_quantity(double v, std::string unit);
  static arg of_time(time_point t);
  static arg of_age(time_point t);
  static arg of_span(duration d);
  static arg of_message(message m);
  static arg of_list(std::vector<message> m);
};

/// A catalogue key and its arguments, by placeholder name.
struct message {
  std::string key;
  std::map<std::string, arg> args;
};

/// Renders `m` in `c.locale`. Each `{name}` of the key's text is replaced by its argument;
/// a plural text picks its form from the argument `n`. A placeholder without an argument
/// is left as written (load-time checks keep that from happening in shipped texts).
std::string render(const context& c, const message& m);
/// Renders a template given directly (a rule's title in one locale) with `args`.
std::string render_template(const context& c, std::string_view tmpl,
                            const std::map<std::string, arg>& args);
std::string render_arg(const context& c, const arg& a);

}  // namespace hearth::i18n
