// SPDX-License-Identifier: Apache-2.0
// Devices, their readings, unregistered senders and the quarantine: what an integrator
// checks while wiring a community.
#include <boost/json.hpp>

#include "api/page.hpp"
#include "api/query_thread.hpp"
#include "api/reply.hpp"
#include "api/resources.hpp"
#include "app/pipeline.hpp"
#include "base/time.hpp"

namespace hearth::api {
namespace json = boost::json;

namespace {

response quarantine(context& c, const request& r) {
  if (auto bad = check_query(r, {"limit", "cursor"})) return *bad;
  auto pg = read_page(r, 1);
  if (!pg) return error_response(pg.err());
  // Newest first. The cursor counts the rows already sent.
  std::size_t skip = 0;
  if (!pg->after.empty()) {
    const auto n = cursor_number<std::size_t>(*pg, 0);
    if (!n) return bad_cursor();
    skip = *n;
  }
  // Off the domain thread (query_thread.hpp).
  return run_query(c, [skip, limit = pg->limit](store::store& st) {
    const auto rows = st.quarantine(skip + limit + 1);
    json::array arr;
    for (std::size_t i = skip; i < rows.size() && arr.size() < limit; ++i) {
      const auto& q = rows[i];
      json::object o;
      o["received_at"] = format_rfc3339(q.received_at);
      o["topic"] = q.topic;
      o["reason"] = q.reason;
      o["detail"] = q.detail;
      arr.push_back(std::move(o));
    }
    json::object o;
    const bool more = rows.size() > skip + limit;
    o["quarantine"] = std::move(arr);
    set_next_cursor(o, more
                           ? std::optional<std::vector<std::string>>({std::to_string(skip + limit)})
                           : std::nullopt);
    return json_ok(o);
  });
}

response unknown_devices(context& c, const request& r) {
  if (auto bad = check_query(r, {"limit", "cursor"})) return *bad;
  auto pg = read_page(r, 2);
  if (!pg) return error_response(pg.err());
  // Most recently seen first; the key is (last_seen, external_id).
  std::int64_t after_ms = 0;
  if (!pg->after.empty()) {
    const auto ms = cursor_number<std::int64_t>(*pg, 0);
    if (!ms) return bad_cursor();
    after_ms = *ms;
  }
  // The page in SQL (one more row: whether more follow), not the whole table, and off the
  // domain thread (query_thread.hpp).
  return run_query(c, [after_ms, p = *pg](store::store& st) {
    const auto rows =
        st.unknown_devices(after_ms, p.after.empty() ? std::string() : p.after[1], p.limit + 1);
    const auto page = take_page<store::unknown_device>(
        rows, p, [](const store::unknown_device&, const auto&) { return true; },
        [](const store::unknown_device& u) {
          return std::vector<std::string>{std::to_string(u.last_seen.time_since_epoch().count()),
                                          u.external_id};
        });
    json::array arr;
    for (const auto* u : page.items) {
      json::object o;
      o["external_id"] = u->external_id;
      o["last_topic"] = u->last_topic;
      o["first_seen"] = format_rfc3339(u->first_seen);
      o["last_seen"] = format_rfc3339(u->last_seen);
      o["count"] = u->count;
      arr.push_back(std::move(o));
    }
    json::object o;
    o["devices"] = std::move(arr);
    set_next_cursor(o, page.next);
    return json_ok(o);
  });
}

response devices(context& c, const request& r) {
  if (auto bad = check_query(r, {"limit", "cursor"})) return *bad;
  auto pg = read_page(r, 1);
  if (!pg) return error_response(pg.err());
  // By device id (the registry is loaded in that order).
  const auto page = take_page<registry::device>(
      c.pipeline.devices().all().devices, *pg,
      [](const registry::device& d, const auto& key) { return d.id > key[0]; },
      [](const registry::device& d) { return std::vector<std::string>{std::string(d.id)}; });
  json::array arr;
  for (const auto* d : page.items) {
    json::object o;
    o["device_id"] = d->id.view();
    o["external_id"] = d->external_id.view();
    o["type"] = d->type.view();
    o["household_id"] =
        d->household_id.empty() ? json::value(nullptr) : json::value(d->household_id.view());
    o["building"] = d->building.view();
    o["location"] = d->location.view();
    arr.push_back(std::move(o));
  }
  json::object o;
  o["devices"] = std::move(arr);
  set_next_cursor(o, page.next);
  return json_ok(o);
}

response device_readings(context& c, const std::string& id, const request& r) {
  if (auto bad = check_query(r, {"since", "until", "limit", "cursor"})) return *bad;
  auto pg = read_page(r, 2);
  if (!pg) return error_response(pg.err());
  if (!c.pipeline.devices().find_device(id)) return json_error(404, "not-found", "no such device");
  time_point since{}, until = time_point::max();
  if (auto it = r.query.find("since"); it != r.query.end() && !it->second.empty()) {
    auto t = parse_rfc3339(it->second);
    if (!t) return json_error(400, "bad-request", "since must be an RFC 3339 time");
    since = *t;
  }
  if (auto it = r.query.find("until"); it != r.query.end() && !it->second.empty()) {
    auto t = parse_rfc3339(it->second);
    if (!t) return json_error(400, "bad-request", "until must be an RFC 3339 time");
    until = *t;
  }
  // Oldest first; the key is (ts, metric). The next page starts at the cursor's time.
  std::int64_t after_ms = 0;
  int after_metric = 0;
  if (!pg->after.empty()) {
    const auto ms = cursor_number<std::int64_t>(*pg, 0);
    const auto metric = cursor_number<int>(*pg, 1);
    if (!ms || !metric) return bad_cursor();
    after_ms = *ms;
    after_metric = *metric;
    since = std::max(since, time_point(duration(after_ms)));
  }
  // Off the domain thread (query_thread.hpp).
  return run_query(c, [id, since, until, after_ms, after_metric, p = *pg](store::store& st) {
    const auto rows = st.readings(id, since, until, p.limit + 64);
    const auto page = take_page<store::stored_reading>(
        rows, p,
        [&](const store::stored_reading& rd, const auto&) {
          const auto ms = rd.ts.time_since_epoch().count();
          // The store orders equal times by the metric's number.
          return ms > after_ms || (ms == after_ms && static_cast<int>(rd.metric) > after_metric);
        },
        [](const store::stored_reading& rd) {
          return std::vector<std::string>{std::to_string(rd.ts.time_since_epoch().count()),
                                          std::to_string(static_cast<int>(rd.metric))};
        });
    json::array arr;
    for (const auto* rd : page.items) {
      json::object o;
      o["metric"] = name(rd->metric);
      if (info(rd->metric).boolean)
        o["value"] = rd->value != 0;
      else
        o["value"] = rd->value;
      o["unit"] = info(rd->metric).unit;
      o["ts"] = format_rfc3339(rd->ts);
      arr.push_back(std::move(o));
    }
    json::object o;
    o["device_id"] = id;
    o["readings"] = std::move(arr);
    set_next_cursor(o, page.next);
    return json_ok(o);
  });
}

}  // namespace

std::vector<route> device_routes(context& c) {
  using enum auth::permission;
  constexpr std::string_view see = "see devices";
  return {
      {"GET", "devices", read_devices, see, [&c](const call& k) { return devices(c, k.req); }},
      {"GET", "devices/unknown", read_devices, see,
       [&c](const call& k) { return unknown_devices(c, k.req); }},
      {"GET", "devices/{}/readings", read_devices, see,
       [&c](const call& k) { return device_readings(c, k.arg(), k.req); }},
      {"GET", "quarantine", read_devices, see,
       [&c](const call& k) { return quarantine(c, k.req); }},
  };
}

}  // namespace hearth::api
