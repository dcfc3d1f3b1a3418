// SPDX-License-Identifier: Apache-2.0
#include "api/stream.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <map>

#include "api/messages.hpp"
#include "api/reply.hpp"
#include "api/views.hpp"
#include "app/pipeline.hpp"
#include "auth/users.hpp"

namespace hearth::api {
namespace json = boost::json;

std::vector<route> stream_hub::routes() {
  return {{"GET", "stream", auth::permission::read_alerts, "see alerts",
           [this](const call& k) { return open(k); }}};
}

namespace {

/// The stream's message for one transition, in `locale`: the alert JSON plus what happened
/// and its number.
std::string message(const alerts::transition& t, const alerts::escalation_policy& policy,
                    std::string_view locale) {
  auto o = alert_view(t.after, policy, locale);
  o["transition"] = alerts::transition_name(t.what);
  o["action"] = t.action;
  o["seq"] = t.seq;
  return json::serialize(o);
}

}  // namespace

response stream_hub::open(const call& k) {
  if (auto bad = check_query(k.req, {"after"})) return *bad;
  std::optional<std::uint64_t> after;
  if (auto it = k.req.query.find("after"); it != k.req.query.end()) {
    std::uint64_t n = 0;
    const auto& v = it->second;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || p != v.data() + v.size())
      return json_error(400, "bad-request", "'after' is a transition number (seq)");
    after = n;
  }
  if (!k.req.websocket_upgrade)
    return json_error(426, "upgrade-required", "open /api/v1/stream as a WebSocket");
  response res{101, "application/json", "", {}, {}, {}};
  res.upgrade =
      [this, p = k.who, after,
       locale = std::string(caller_locale(k.req, context_.locale))](std::shared_ptr<ws_peer> peer) {
        std::erase_if(subscribers_, [](const subscriber& s) {
          auto l = s.peer.lock();
          return !l || !l->is_open();
        });
        // On the domain thread, like every transition: nothing can slip in between what is
        // read back here and the live ones that follow.
        json::object hello, h;
        h["user"] = p.user;
        h["role"] = auth::role_name(p.role);
        std::vector<alerts::transition> missed;
        bool resync = false;
        try {
          h["seq"] = context_.store.last_transition_seq();
          if (after) {
            // Those it missed, unless they are too many or older than what is kept: then the
            // console reloads the queue instead.
            const auto first = context_.store.first_transition_seq();
            missed = context_.store.transitions_after(*after, k_max_replay + 1);
            resync = missed.size() > k_max_replay || (first > 0 && *after + 1 < first);
          }
        } catch (const store::store_error&) {
          resync = after.has_value();  // the store is failing: the console reloads what it can
        }
        hello["hello"] = std::move(h);
        if (resync) {
          hello["resync"] = true;
          missed.clear();
        }
        peer->send(json::serialize(hello));
        const auto& devices = context_.pipeline.devices();
        for (const auto& t : missed)
          if (auth::alert_in_scope(p, devices, t.after))
            peer->send(message(t, context_.book.policy(), locale));
        subscribers_.push_back({peer, p, locale});
      };
  return res;
}

std::size_t stream_hub::subscribers() {
  std::erase_if(subscribers_, [](const subscriber& s) {
    auto l = s.peer.lock();
    return !l || !l->is_open();
  });
  return subscribers_.size();
}

void stream_hub::close_token(std::string_view token_hash) {
  for (auto& s : subscribers_)
    if (s.who.token_hash == token_hash)
      if (auto peer = s.peer.lock()) peer->close();
}

void stream_hub::close_user(std::string_view user) {
  for (auto& s : subscribers_)
    if (s.who.user == user)
      if (auto peer = s.peer.lock()) peer->close();
}

bool stream_hub::gone(const subscriber& s, time_point now) {
  auto peer = s.peer.lock();
  if (!peer || !peer->is_open()) return true;
  if (!s.who.expires_at || *s.who.expires_at > now) return false;
  peer->close();  // the session ended
  return true;
}

bool stream_hub::still_valid(const subscriber& s, time_point now) {
  auto& db = context_.store;
  if (!auth::find_token(db, s.who.token_hash, now)) return false;
  const auto u = auth::find_user(db, s.who.user);
  return u && !u->disabled_at;
}

void stream_hub::revalidate() {
  const auto now = context_.book.now();
  std::erase_if(subscribers_, [&](const subscriber& s) {
    if (gone(s, now)) return true;
    try {
      if (still_valid(s, now)) return false;
    } catch (const store::store_error&) {
      return false;  // the database cannot say now: asked again in a second
    }
    if (auto peer = s.peer.lock()) peer->close();
    return true;
  });
}

void stream_hub::on_transition(const alerts::transition& t) {
  // Only what memory can tell: the database's word on the credential is `revalidate`'s,
  // so that telling a transition waits for no query.
  const auto now = context_.book.now();
  std::erase_if(subscribers_, [&](const subscriber& s) { return gone(s, now); });
  std::map<std::string, std::string, std::less<>> text;  // by locale, serialized once each
  for (const auto& s : subscribers_) {
    if (!auth::alert_in_scope(s.who, context_.pipeline.devices(), t.after)) continue;
    auto& mine = text[s.locale];
    if (mine.empty()) mine = message(t, context_.book.policy(), s.locale);
    if (auto peer = s.peer.lock()) peer->send(mine);
  }
}

}  // namespace hearth::api
