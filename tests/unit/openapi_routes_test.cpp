// SPDX-License-Identifier: Apache-2.0
// docs/openapi.yaml documents exactly the routes the server answers, with the roles that may
// call them: the server's route table (api::route_table, every /api/v1/ route but login)
// plus the few answered before it (login, the message catalogue, /healthz, /metrics, the
// console's files) on one side, the spec's paths and methods on the other. A route added to either
// alone fails here; tests/e2e/openapi_walk_test.py checks what each route answers against the
// spec's schemas.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "alerts/book.hpp"
#include "api/routes.hpp"
#include "app/pipeline.hpp"
#include "auth/scope.hpp"
#include "auth/users.hpp"
#include "engine/engine.hpp"
#include "store/store.hpp"

namespace {
using namespace hearth;

using route_key = std::pair<std::string, std::string>;  // method, path with "{}" parameters

/// The routes answered before the table, in routes::handle; `anyone` may call them.
const std::set<route_key> k_fixed = {
    {"POST", "/api/v1/login"},
    {"GET", "/healthz"},
    {"GET", "/metrics"},
    {"GET", "/"},
    {"GET", "/index.html"},
    {"GET", "/app.js"},
    {"GET", "/desk.js"},
    {"GET", "/style.css"},
    {"GET", "/{}"},  // the console's other files (its screens' modules)
    {"GET", "/lib/chart.js"},
    {"GET", "/api/v1/messages"},
    {"GET", "/api/v1/messages/{}"}};

const YAML::Node& spec() {
  static const YAML::Node s = YAML::LoadFile(HEARTH_SOURCE_DIR "/docs/openapi.yaml");
  return s;
}

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

/// Every operation of the spec, by method and path ("{id}" written as "{}"), with x-roles.
std::map<route_key, std::set<std::string>> documented() {
  std::map<route_key, std::set<std::string>> out;
  const std::regex param(R"(\{[^}]+\})");
  for (const auto& p : spec()["paths"]) {
    const auto path = std::regex_replace(p.first.as<std::string>(), param, "{}");
    for (const auto& op : p.second) {
      const auto method = op.first.as<std::string>();
      if (method == "parameters") continue;
      std::set<std::string> roles;
      for (const auto& r : op.second["x-roles"])
        roles.insert(r.as<std::string>());
      out[{upper(method), path}] = roles;
    }
  }
  return out;
}

struct server {
  manual_clock clock;
  telemetry tel;
  store::store st{":memory:"};
  engine::engine eng{{}, clock, "UTC"};
  alerts::book book{clock, 0};
  app::pipeline pipe{clock, tel, &st, nullptr, eng, book};
  api::routes routes{book, st, tel, pipe, [] { return api::health{}; }};
};

const auth::role k_roles[] = {auth::role::admin, auth::role::supervisor, auth::role::operator_desk,
                              auth::role::social_worker, auth::role::integrator};

}  // namespace

TEST_CASE("docs/openapi.yaml documents exactly the server's routes", "[api]") {
  server s;
  std::set<route_key> served = k_fixed;
  for (const auto& r : s.routes.table().all())
    served.insert({std::string(r.method), "/api/v1/" + std::string(r.path)});
  std::set<route_key> in_spec;
  for (const auto& [key, roles] : documented())
    in_spec.insert(key);
  for (const auto& k : served) {
    INFO(k.first << " " << k.second << " is answered by the server");
    CHECK(in_spec.contains(k));
  }
  for (const auto& k : in_spec) {
    INFO(k.first << " " << k.second << " is in docs/openapi.yaml");
    CHECK(served.contains(k));
  }
}

TEST_CASE("docs/openapi.yaml names, for each route, exactly the roles its permission allows",
          "[api]") {
  server s;
  const auto spec_roles = documented();
  for (const auto& r : s.routes.table().all()) {
    const route_key key{std::string(r.method), "/api/v1/" + std::string(r.path)};
    auto it = spec_roles.find(key);
    if (it == spec_roles.end()) continue;  // reported by the test above
    std::set<std::string> allowed;
    for (const auto role : k_roles)
      if (!r.needs || auth::allowed(role, *r.needs))
        allowed.insert(std::string(auth::role_name(role)));
    INFO(key.first << " " << key.second);
    CHECK(it->second == allowed);
  }
  for (const auto& k : k_fixed) {
    INFO(k.first << " " << k.second);
    // /metrics is open to loopback callers; its x-roles are the roles that may read it from
    // elsewhere (the read_metrics permission).
    if (k.second == "/metrics") {
      std::set<std::string> allowed;
      for (const auto role : k_roles)
        if (auth::allowed(role, auth::permission::read_metrics))
          allowed.insert(std::string(auth::role_name(role)));
      CHECK(spec_roles.at(k) == allowed);
    } else {
      CHECK(spec_roles.at(k) == std::set<std::string>{"anyone"});
    }
  }
}
