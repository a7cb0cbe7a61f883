#include "runtime/member_names.hpp"

#include <algorithm>
#include <optional>

#include "wire/network_config.hpp"

namespace weft::runtime {

namespace {

// Lower case, without the one trailing dot a fully qualified name may carry;
// empty when it is no DNS name at all (then nothing virtual can match it).
std::string normalise(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  if (out.empty() || !wire::is_valid_dns_name(out)) return {};
  return out;
}

}  // namespace

void MemberNames::resolve(Instant now, std::string_view name,
                          std::span<const NamedNetwork> networks, const Ask& ask,
                          NameCallback done) {
  const std::string n = normalise(name);
  Lookup l;
  l.deadline = now + limits_.timeout;
  if (wire::is_dns_label(n)) {
    for (const auto& net : networks)
      l.candidates.push_back(
          {{net.id, n}, net.domain.empty() ? n : n + "." + net.domain, {}, {}});
  } else if (!n.empty()) {
    for (const auto& net : networks) {
      if (net.domain.empty() || !n.ends_with("." + net.domain)) continue;
      const std::string label = n.substr(0, n.size() - net.domain.size() - 1);
      if (!wire::is_dns_label(label)) continue;
      l.authoritative = true;
      l.candidates.push_back({{net.id, label}, n, {}, {}});
    }
  }
  if (l.candidates.empty()) {
    done(NameResolution{});
    return;
  }
  l.done = std::move(done);

  Finished finished;
  {
    std::lock_guard lock(mu_);
    expire_locked(now);
    if (lookups_.size() >= limits_.max_lookups) {
      finished.emplace_back(std::move(l.done), Error::no_buffer);
    } else {
      for (auto& c : l.candidates) {
        if (auto it = cache_.find(c.key); it != cache_.end() && it->second.expires > now) {
          c.answer = it->second;
          c.state = it->second.found ? Candidate::State::found : Candidate::State::missing;
          continue;
        }
        const bool asked = std::any_of(in_flight_.begin(), in_flight_.end(),
                                       [&](const auto& q) { return q.second == c.key; });
        if (asked) continue;
        const std::uint32_t query = next_query_++;
        if (!ask(c.key.first, query, c.key.second)) {
          c.state = Candidate::State::failed;  // not ready yet, or left meanwhile
          continue;
        }
        in_flight_.emplace(query, c.key);
      }
      lookups_.push_back(std::move(l));
      settle(finished);
    }
  }
  for (auto& [cb, result] : finished) cb(std::move(result));
}

void MemberNames::answer(Instant now, const wire::NameAnswer& a) {
  Finished finished;
  {
    std::lock_guard lock(mu_);
    auto q = in_flight_.find(a.query);
    if (q != in_flight_.end() && q->second.first == a.network) {
      const Key key = std::move(q->second);
      in_flight_.erase(q);
      const bool found = a.member.has_value();
      Cached c{found, a.ipv4, a.ipv6, now + (found ? limits_.found_ttl : limits_.missing_ttl)};
      for (auto& l : lookups_)
        for (auto& cand : l.candidates)
          if (cand.key == key && cand.state == Candidate::State::waiting) {
            cand.answer = c;
            cand.state = found ? Candidate::State::found : Candidate::State::missing;
          }
      if (cache_.size() >= limits_.max_cached) cache_.clear();
      cache_[key] = std::move(c);
    }
    expire_locked(now);
    settle(finished);
  }
  for (auto& [cb, result] : finished) cb(std::move(result));
}

void MemberNames::expire(Instant now) {
  Finished finished;
  {
    std::lock_guard lock(mu_);
    expire_locked(now);
    settle(finished);
  }
  for (auto& [cb, result] : finished) cb(std::move(result));
}

void MemberNames::expire_locked(Instant now) {
  for (auto& l : lookups_) {
    if (l.deadline > now) continue;
    for (auto& c : l.candidates)
      if (c.state == Candidate::State::waiting) c.state = Candidate::State::failed;
  }
  // A question nobody waits for any more will not be answered in time either.
  std::erase_if(in_flight_, [&](const auto& q) {
    return std::none_of(lookups_.begin(), lookups_.end(), [&](const Lookup& l) {
      return std::any_of(l.candidates.begin(), l.candidates.end(), [&](const Candidate& c) {
        return c.key == q.second && c.state == Candidate::State::waiting;
      });
    });
  });
}

void MemberNames::fail_all(Error error) {
  Finished finished;
  {
    std::lock_guard lock(mu_);
    for (auto& l : lookups_) finished.emplace_back(std::move(l.done), error);
    lookups_.clear();
    in_flight_.clear();
    cache_.clear();
  }
  for (auto& [cb, result] : finished) cb(std::move(result));
}

std::optional<Result<NameResolution>> MemberNames::outcome(const Lookup& l) {
  bool failed = false;
  for (const auto& c : l.candidates) {
    switch (c.state) {
      case Candidate::State::waiting: return std::nullopt;
      case Candidate::State::found:
        return NameResolution{NameResolution::Status::found, c.canonical, c.answer.ipv4,
                              c.answer.ipv6};
      case Candidate::State::missing: break;
      case Candidate::State::failed: failed = true; break;
    }
  }
  if (!l.authoritative) return NameResolution{};
  if (failed) return Error::timed_out;
  return NameResolution{NameResolution::Status::no_such_member, {}, {}, {}};
}

void MemberNames::settle(Finished& finished) {
  for (auto it = lookups_.begin(); it != lookups_.end();) {
    auto result = outcome(*it);
    if (!result) {
      ++it;
      continue;
    }
    finished.emplace_back(std::move(it->done), std::move(*result));
    it = lookups_.erase(it);
  }
}

}  // namespace weft::runtime
