// SPDX-License-Identifier: Apache-2.0
// The registry's tables: households, residents, devices, buildings.
#include "store/store.hpp"

namespace hearth::store {

void store::save_registry(const registry::tables& t) {
  transaction tx(*db_);
  auto hh = db_->prepare(
      "INSERT INTO households VALUES (?1,?2,?3,?4) ON CONFLICT(household_id) DO UPDATE SET "
      "building=excluded.building, unit=excluded.unit, address=excluded.address");
  for (const auto& h : t.households)
    hh.bind(1, h.id).bind(2, h.building).bind(3, h.unit).bind(4, h.address).run();
  auto rs = db_->prepare(
      "INSERT INTO residents VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT(resident_id) DO "
      "UPDATE SET "
      "household_id=excluded.household_id, name=excluded.name, birth_year=excluded.birth_year, "
      "lives_alone=excluded.lives_alone, phone=excluded.phone, "
      "emergency_contact=excluded.emergency_contact, "
      "emergency_phone=excluded.emergency_phone, social_worker=excluded.social_worker");
  for (const auto& r : t.residents)
    rs.bind(1, r.id)
        .bind(2, r.household_id)
        .bind(3, r.name)
        .bind(4, r.birth_year)
        .bind(5, r.lives_alone ? 1 : 0)
        .bind(6, r.phone)
        .bind(7, r.emergency_contact)
        .bind(8, r.emergency_phone)
        .bind(9, r.social_worker)
        .run();
  auto dv = db_->prepare(
      "INSERT INTO devices VALUES (?1,?2,?3,?4,?5,?6) ON CONFLICT(device_id) DO UPDATE SET "
      "external_id=excluded.external_id, type=excluded.type, household_id=excluded.household_id, "
      "building=excluded.building, location=excluded.location");
  for (const auto& d : t.devices)
    dv.bind(1, d.id)
        .bind(2, d.external_id)
        .bind(3, d.type)
        .bind(4, d.household_id)
        .bind(5, d.building)
        .bind(6, d.location)
        .run();
  auto bd = db_->prepare(
      "INSERT INTO buildings VALUES (?1,?2,?3) ON CONFLICT(building) DO UPDATE SET "
      "height_m=excluded.height_m, tilt_limit_permille=excluded.tilt_limit_permille");
  for (const auto& b : t.buildings)
    bd.bind(1, b.id).bind(2, b.height_m).bind(3, b.tilt_limit_permille).run();
  tx.commit();
}

registry::registry store::load_registry() {
  // Each row goes straight into the snapshot: its text is copied once, from the statement's
  // own buffer into the snapshot's storage. Households and buildings first (see loader).
  registry::registry::loader into;
  auto n = db_->prepare(
      "SELECT (SELECT COUNT(*) FROM households), (SELECT COUNT(*) FROM residents), "
      "(SELECT COUNT(*) FROM devices), (SELECT COUNT(*) FROM buildings)");
  if (n.step()) {
    auto at = [&](int i) { return static_cast<std::size_t>(n.int64(i)); };
    into.reserve(at(0), at(1), at(2), at(3));
  }
  auto hh = db_->prepare(
      "SELECT household_id, building, unit, address FROM households ORDER BY household_id");
  while (hh.step())
    into.add(registry::household_view{hh.text_view(0), hh.text_view(1), hh.text_view(2),
                                      hh.text_view(3)});
  auto bd = db_->prepare(
      "SELECT building, height_m, tilt_limit_permille FROM buildings ORDER BY building");
  while (bd.step())
    into.add(registry::building_view{bd.text_view(0), bd.real(1), bd.real(2)});
  auto rs = db_->prepare(
      "SELECT resident_id, household_id, name, birth_year, lives_alone, phone, emergency_contact, "
      "emergency_phone, social_worker FROM residents ORDER BY resident_id");
  while (rs.step())
    into.add(registry::resident_view{
        rs.text_view(0), rs.text_view(1), rs.text_view(2), static_cast<int>(rs.int64(3)),
        rs.int64(4) != 0, rs.text_view(5), rs.text_view(6), rs.text_view(7), rs.text_view(8)});
  auto dv = db_->prepare(
      "SELECT device_id, external_id, type, household_id, building, location FROM devices ORDER BY "
      "device_id");
  while (dv.step())
    into.add(registry::device_view{dv.text_view(0), dv.text_view(1), dv.text_view(2),
                                   dv.text_view(3), dv.text_view(4), dv.text_view(5)});
  return into.finish();
}

bool store::names_social_worker(std::string_view user) {
  auto q = db_->prepare("SELECT 1 FROM residents WHERE social_worker = ?1 LIMIT 1");
  return q.bind(1, user).step();
}

}  // namespace hearth::store
