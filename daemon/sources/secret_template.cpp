// SPDX-License-Identifier: Apache-2.0
#include "daemon/sources/secret_template.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include "daemon/config/section.hpp"

namespace complyd {

std::optional<SecretTemplate> SecretTemplate::compile(std::string_view text, std::string_view prefix,
                                                      std::string& error) {
  SecretTemplate t;
  t.text_ = std::string(text);
  std::string pattern, literal;  // literal: the substituted text before the first capture
  bool captured = false;
  int group = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '{') {
      const auto next = text.find('{', i);
      const std::string_view lit = text.substr(i, next == std::string_view::npos ? text.size() - i : next - i);
      if (lit.find('}') != std::string_view::npos) {
        error = "unbalanced '}'";
        return std::nullopt;
      }
      pattern += RE2::QuoteMeta(re2::StringPiece(lit.data(), lit.size()));
      if (!captured) literal += lit;
      i += lit.size();
      continue;
    }
    const auto close = text.find('}', i);
    if (close == std::string_view::npos) {
      error = "unbalanced '{'";
      return std::nullopt;
    }
    const std::string_view ph = text.substr(i + 1, close - i - 1);
    i = close + 1;
    if (ph == "prefix") {
      if (prefix.empty()) {
        error = "{prefix} is used but 'prefix' is not set";
        return std::nullopt;
      }
      pattern += RE2::QuoteMeta(re2::StringPiece(prefix.data(), prefix.size()));
      if (!captured) literal += prefix;
      continue;
    }
    int* slot = ph == "customer_id" ? &t.customer_ : ph == "environment" ? &t.environment_ : ph == "name" ? &t.name_
                                                                                                       : nullptr;
    if (slot == nullptr) {
      error = fmt::format("unknown placeholder {{{}}} (use {{prefix}}, {{environment}}, {{customer_id}}, {{name}})", ph);
      return std::nullopt;
    }
    if (*slot != 0) {
      error = fmt::format("{{{}}} appears twice", ph);
      return std::nullopt;
    }
    *slot = ++group;
    pattern += "([^/]+)";
    captured = true;
  }
  if (t.customer_ == 0 || t.name_ == 0) {
    error = "{customer_id} and {name} are required";
    return std::nullopt;
  }
  auto re = std::make_shared<RE2>(pattern);
  if (!re->ok()) {
    error = "cannot be compiled";
    return std::nullopt;
  }
  t.re_ = std::move(re);
  const auto slash = literal.rfind('/');
  t.literal_dir_ = slash == std::string::npos ? "" : literal.substr(0, slash + 1);
  t.depth_ = 1;
  std::string full = t.text_;
  // Search on after each replacement: a prefix that itself contains
  // "{prefix}" made this loop forever (found by the config fuzzer).
  for (std::size_t p = full.find("{prefix}"); p != std::string::npos; p = full.find("{prefix}", p + prefix.size()))
    full.replace(p, 8, prefix);
  for (char c : full) t.depth_ += c == '/';
  return t;
}

std::optional<SecretTemplate::Match> SecretTemplate::match(std::string_view name) const {
  std::string g[3];
  re2::RE2::Arg a0(&g[0]), a1(&g[1]), a2(&g[2]);
  const re2::RE2::Arg* args[] = {&a0, &a1, &a2};
  const int n = re_->NumberOfCapturingGroups();
  if (!RE2::FullMatchN(re2::StringPiece(name.data(), name.size()), *re_, args, n)) return std::nullopt;
  Match m;
  m.customer_id = g[customer_ - 1];
  m.name = g[name_ - 1];
  if (environment_ != 0) m.environment = g[environment_ - 1];
  return m;
}

std::map<std::string, std::string, std::less<>> default_kind_names() {
  std::map<std::string, std::string, std::less<>> m;
  for (const char* k : {"api_token", "webhook_secret", "oauth_refresh_token", "internal_secret"}) {
    std::string dashed = k;
    for (auto& c : dashed) c = c == '_' ? '-' : c;
    m[k] = k;
    m[dashed] = k;
  }
  m["refresh_token"] = "oauth_refresh_token";
  m["refresh-token"] = "oauth_refresh_token";
  return m;
}

SecretNaming parse_secret_naming(cfg::Section& s, std::string_view template_key) {
  SecretNaming out;
  std::string prefix;
  if (auto v = s.string("prefix")) {
    prefix = *v;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  }
  const std::string text = s.string(template_key).value_or(std::string(kDefaultSecretTemplate));
  std::string error;
  out.templ = SecretTemplate::compile(text, prefix, error);
  if (!out.templ) {
    const toml::node* n = s.raw().get(template_key);
    s.diagnostics().add(n != nullptr ? n->source() : s.where(),
                        fmt::format("{}: '{}': {}", s.path(template_key), text, error));
  }
  if (auto kinds = s.table("kinds")) {
    static const RE2 kind_re("[a-z][a-z0-9_]{0,62}");
    for (auto&& [k, v] : kinds->raw()) {
      const std::string name(k.str());
      kinds->node(name);
      auto kind = v.value<std::string>();
      if (!v.is_string() || !RE2::FullMatch(*kind, kind_re)) {
        s.diagnostics().add(v.source(), fmt::format("{}: expected a credential kind such as \"api_token\"",
                                                    kinds->path(name)));
        continue;
      }
      out.kinds[name] = *kind;
    }
  }
  return out;
}

}  // namespace complyd
