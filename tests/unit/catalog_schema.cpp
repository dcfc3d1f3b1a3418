// SPDX-License-Identifier: Apache-2.0
// schemas/device-type.schema.json agrees with the parser: same metrics, same keys at every
// level, and every key of every shipped definition is one the schema declares.
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/metric.hpp"

namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

const json::object& schema() {
  static const json::value v = [] {
    std::ifstream in(HEARTH_SOURCE_DIR "/schemas/device-type.schema.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
  }();
  return v.as_object();
}

const json::object& def(const char* name) {
  return schema().at("$defs").at(name).as_object();
}

std::set<std::string> keys_of(const json::object& o) {
  std::set<std::string> out;
  for (const auto& kv : o.at("properties").as_object())
    out.insert(std::string(kv.key()));
  return out;
}

std::set<std::string> strings_of(const json::value& arr) {
  std::set<std::string> out;
  for (const auto& v : arr.as_array())
    out.insert(std::string(v.as_string()));
  return out;
}

void check_keys(const YAML::Node& map, const std::set<std::string>& allowed,
                const std::string& where) {
  REQUIRE(map.IsMap());
  for (const auto& kv : map) {
    INFO(where << ": " << kv.first.Scalar());
    CHECK(allowed.contains(kv.first.Scalar()));
  }
}
}  // namespace

TEST_CASE("the schema's metrics are exactly the canonical metrics", "[catalog]") {
  std::set<std::string> canonical;
  for (const auto& m : hearth::k_metrics)
    canonical.insert(std::string(m.name));
  CHECK(strings_of(def("metric").at("enum")) == canonical);
}

TEST_CASE("the schema declares the keys the parser reads, and closes every mapping", "[catalog]") {
  CHECK(keys_of(schema()) ==
        std::set<std::string>{"type", "name", "description", "transport", "role", "topic", "external_id",
                              "event_time", "frame_counter", "report_interval", "life_safety",
                              "metrics", "counter_wrap", "fields", "frame", "examples"});
  CHECK(keys_of(schema().at("properties").at("event_time").as_object()) ==
        std::set<std::string>{"path", "format"});
  CHECK(keys_of(def("field")) == std::set<std::string>{"path", "metric", "unit", "empty", "full",
                                                       "scale", "offset", "range", "map",
                                                       "required"});
  CHECK(keys_of(def("frame")) == std::set<std::string>{"port", "fields"});
  CHECK(keys_of(def("frame").at("properties").at("fields").at("items").as_object()) ==
        std::set<std::string>{"name", "offset", "type", "bit"});
  CHECK(keys_of(def("example")) == std::set<std::string>{"name", "topic", "payload", "readings",
                                                         "rejected", "field_errors", "event_time"});
  for (const auto* o : {&schema(), &def("field"), &def("frame"), &def("example"),
                        &def("frame").at("properties").at("fields").at("items").as_object()})
    CHECK(o->at("additionalProperties") == false);
  CHECK(strings_of(schema().at("properties").at("transport").at("enum")) ==
        std::set<std::string>{"zigbee2mqtt", "chirpstack", "tts", "native", "json"});
}

TEST_CASE("every key in every shipped definition is declared by the schema", "[catalog]") {
  for (const auto& e : fs::directory_iterator(HEARTH_SOURCE_DIR "/devices")) {
    const auto file = e.path().filename().string();
    const auto doc = YAML::LoadFile(e.path().string());
    check_keys(doc, keys_of(schema()), file);
    if (doc["event_time"])
      check_keys(doc["event_time"], keys_of(schema().at("properties").at("event_time").as_object()),
                 file + " event_time");
    for (const auto& f : doc["fields"])
      check_keys(f, keys_of(def("field")), file + " fields");
    if (doc["frame"]) {
      check_keys(doc["frame"], keys_of(def("frame")), file + " frame");
      for (const auto& f : doc["frame"]["fields"])
        check_keys(f, keys_of(def("frame").at("properties").at("fields").at("items").as_object()),
                   file + " frame fields");
    }
    for (const auto& x : doc["examples"])
      check_keys(x, keys_of(def("example")), file + " examples");
  }
}
