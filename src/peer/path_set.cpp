#include "peer/path_set.hpp"

#include <algorithm>

namespace weft::peer {

namespace {
// A live path whose latency has not been measured yet ranks behind measured
// ones but is still usable.
constexpr Duration kUnmeasured = 10s;
}  // namespace

PathSet::Path* PathSet::find(const wire::Endpoint& e) {
  for (auto& p : paths_)
    if (p.endpoint == e) return &p;
  return nullptr;
}

const PathSet::Path* PathSet::find(const wire::Endpoint& e) const {
  for (const auto& p : paths_)
    if (p.endpoint == e) return &p;
  return nullptr;
}

bool PathSet::is_alive(Instant now, const Path& p) const {
  return p.last_authenticated && now - *p.last_authenticated < config_->path_timeout;
}

bool PathSet::suspect(Instant now, const Path& p) const {
  return p.unanswered_since && now - *p.unanswered_since >= config_->probe_timeout &&
         (!p.last_authenticated || *p.last_authenticated <= *p.unanswered_since);
}

bool PathSet::wants_probe(Instant now, const Path& p) const {
  return is_alive(now, p) && p.last_used && *p.last_used > *p.last_authenticated &&
         now - *p.last_authenticated >= config_->quiet_after &&
         (!p.probe_outstanding || now - p.probe_sent >= config_->probe_timeout);
}

Duration PathSet::cost(const Path& p) const { return p.rtt.value_or(kUnmeasured); }

void PathSet::used(Instant now, const wire::Endpoint& e) {
  if (Path* p = find(e)) p->last_used = now;
}

PathSet::Path& PathSet::insert(Instant now, const wire::Endpoint& e) {
  if (paths_.size() >= config_->max_paths) {
    // Make room: the path heard from least recently (never-confirmed first).
    auto victim = std::min_element(paths_.begin(), paths_.end(), [](const Path& a, const Path& b) {
      const Instant ta = a.last_authenticated.value_or(Instant::from_nanos(INT64_MIN));
      const Instant tb = b.last_authenticated.value_or(Instant::from_nanos(INT64_MIN));
      return ta != tb ? ta < tb : a.added < b.added;
    });
    if (chosen_ && *chosen_ == victim->endpoint) chosen_.reset();
    paths_.erase(victim);
  }
  Path p;
  p.endpoint = e;
  p.added = now;
  paths_.push_back(p);
  return paths_.back();
}

void PathSet::add_candidate(Instant now, const wire::Endpoint& e) {
  if (Path* p = find(e)) {
    if (!is_alive(now, *p)) {
      p->punches = 0;
      p->added = now;
      p->last_probe = Instant::from_nanos(INT64_MIN / 2);
    }
    return;
  }
  insert(now, e);
}

void PathSet::authenticated(Instant now, const wire::Endpoint& e) {
  Path* p = find(e);
  if (p == nullptr) p = &insert(now, e);
  p->last_authenticated = now;
}

void PathSet::session_started(Instant now, const wire::Endpoint& e) {
  for (auto& p : paths_) {
    if (p.endpoint == e) continue;
    p.last_authenticated.reset();
    p.probe_outstanding = false;
  }
  authenticated(now, e);
  chosen_ = e;
}

void PathSet::probe_reply(Instant now, const wire::Endpoint& e, std::uint64_t id) {
  Path* p = find(e);
  if (p == nullptr) p = &insert(now, e);
  p->last_authenticated = now;
  if (!p->probe_outstanding || p->probe_id != id) return;
  p->probe_outstanding = false;
  const Duration sample = now - p->probe_sent;
  p->last_rtt = sample;
  // Smoothed like TCP's SRTT (gain 1/8) so one slow reply does not move traffic.
  p->rtt = p->rtt ? *p->rtt + (sample - *p->rtt) / 8 : sample;
}

std::optional<wire::Endpoint> PathSet::select(Instant now) {
  // Suspect paths only when nothing better is alive.
  const auto rank = [&](const Path& p) { return std::pair{suspect(now, p), cost(p)}; };
  const Path* best = nullptr;
  for (const auto& p : paths_)
    if (is_alive(now, p) && (best == nullptr || rank(p) < rank(*best))) best = &p;
  if (best == nullptr) {
    chosen_.reset();
    return std::nullopt;
  }
  if (chosen_) {
    const Path* cur = find(*chosen_);
    if (cur != nullptr && is_alive(now, *cur) && (!suspect(now, *cur) || suspect(now, *best))) {
      const Duration c = cost(*cur);
      const Duration margin = std::max(config_->switch_margin, c / 4);
      if (cost(*best) + margin > c) return chosen_;
    }
  }
  chosen_ = best->endpoint;
  return chosen_;
}

std::vector<wire::Endpoint> PathSet::unconfirmed(Instant now) const {
  std::vector<wire::Endpoint> v;
  for (const auto& p : paths_)
    if (!is_alive(now, p)) v.push_back(p.endpoint);
  return v;
}

bool PathSet::alive(Instant now, const wire::Endpoint& e) const {
  const Path* p = find(e);
  return p != nullptr && is_alive(now, *p);
}

std::optional<Duration> PathSet::latency(const wire::Endpoint& e) const {
  const Path* p = find(e);
  return p == nullptr ? std::nullopt : p->rtt;
}

std::optional<Duration> PathSet::last_latency(const wire::Endpoint& e) const {
  const Path* p = find(e);
  return p == nullptr ? std::nullopt : p->last_rtt;
}

Instant PathSet::poll(Instant now, std::uint64_t& next_id, std::vector<ProbeRequest>& out) {
  std::erase_if(paths_, [&](const Path& p) {
    const Instant heard = p.last_authenticated.value_or(p.added);
    const bool stale =
        !is_alive(now, p) && now - std::max(heard, p.added) >= config_->candidate_timeout;
    if (stale && chosen_ && *chosen_ == p.endpoint) chosen_.reset();
    return stale;
  });
  Instant next = Instant::max();
  for (auto& p : paths_) {
    const bool live = is_alive(now, p);
    const bool punching = !live && p.punches < config_->punch_attempts;
    const Duration interval = punching ? config_->punch_interval : config_->probe_interval;
    Instant due = p.last_probe + interval;
    if (wants_probe(now, p)) due = now;
    if (now >= due) {
      p.last_probe = now;
      p.probe_id = next_id++;
      p.probe_sent = now;
      p.probe_outstanding = true;
      if (!p.unanswered_since ||
          (p.last_authenticated && *p.last_authenticated > *p.unanswered_since))
        p.unanswered_since = now;
      if (!live) ++p.punches;
      out.push_back({p.endpoint, p.probe_id});
      due = now + (!live && p.punches < config_->punch_attempts ? config_->punch_interval
                                                                : config_->probe_interval);
    }
    next = std::min(next, due);
    if (live) next = std::min(next, *p.last_authenticated + config_->path_timeout);
    // Only future instants: a condition that is already true was acted on above.
    const auto later = [&next, now](Instant t) {
      if (t > now) next = std::min(next, t);
    };
    if (live && p.last_used && *p.last_used > *p.last_authenticated)
      later(std::max(*p.last_authenticated + config_->quiet_after,
                     p.probe_sent + config_->probe_timeout));
    if (p.unanswered_since) later(*p.unanswered_since + config_->probe_timeout);
  }
  return next;
}

}  // namespace weft::peer
