// SPDX-License-Identifier: Apache-2.0
// What a console user chose for themselves (their language), beside the users table.
#include "store/store.hpp"

namespace hearth::store {

std::optional<std::string> store::user_locale(std::string_view name) {
  auto st = db_->prepare("SELECT locale FROM user_settings WHERE name = ?1");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

bool store::set_user_locale(std::string_view name, const std::optional<std::string>& locale) {
  transaction tx(*db_);
  if (!find_user(name)) return false;
  if (locale)
    db_->prepare(
           "INSERT INTO user_settings (name, locale) VALUES (?1, ?2) "
           "ON CONFLICT(name) DO UPDATE SET locale = excluded.locale")
        .bind(1, name)
        .bind(2, *locale)
        .run();
  else
    db_->prepare("DELETE FROM user_settings WHERE name = ?1").bind(1, name).run();
  tx.commit();
  return true;
}

}  // namespace hearth::store
