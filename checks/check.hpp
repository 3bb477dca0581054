// SPDX-License-Identifier: Apache-2.0
// The check framework: what a check is, what it receives, what it returns.
// Deliberately free of I/O headers: a check is a pure function of a facts
// snapshot, the evaluation time and its typed parameters.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "model/facts.hpp"
#include "model/finding.hpp"

namespace complyd {

// ---- Parameters ------------------------------------------------------------
// A check's thresholds are a struct of its own (checks/params.hpp), defaults in
// the member initialisers. One list of ParamFields binds each TOML name to its
// member; make_check derives the catalogue's ParamSpecs from it, and the
// config loader fills the struct through it. Only the loader names a
// parameter by its string; the check, and the stages that must agree with it
// (credential_age_params, leak_scan_params), read the typed member.
using DurationMap = std::map<std::string, Duration>;
using ParamValue = std::variant<bool, std::int64_t, double, Duration, std::string,
                                std::vector<std::string>, DurationMap>;

enum class ParamType : std::uint8_t { boolean, integer, number, duration, string, string_list, duration_map };
const char* to_string(ParamType t);

// A parameter as the catalogue shows it.
struct ParamSpec {
  std::string name;
  ParamType type;
  ParamValue default_value;
  std::string description;
  std::optional<double> min;  // integers, numbers; durations in seconds
  std::optional<double> max;
};

class ParamError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// One check's parameter struct, type-erased so that one config map holds every
// check's. Immutable, so copies share it.
class Params {
 public:
  Params() = default;  // a check without parameters

  template <class P>
  static Params of(P value) {
    Params p;
    p.value_ = std::make_shared<const P>(std::move(value));
    p.type_ = &typeid(P);
    return p;
  }

  template <class P>
  const P& as() const {
    if (type_ == nullptr || *type_ != typeid(P)) throw ParamError("check parameters of another type");
    return *static_cast<const P*>(value_.get());
  }

 private:
  std::shared_ptr<const void> value_;
  const std::type_info* type_ = nullptr;
};

namespace detail {
template <class T>
constexpr ParamType param_type() {
  if constexpr (std::is_same_v<T, bool>) return ParamType::boolean;
  else if constexpr (std::is_same_v<T, std::int64_t>) return ParamType::integer;
  else if constexpr (std::is_same_v<T, double>) return ParamType::number;
  else if constexpr (std::is_same_v<T, Duration>) return ParamType::duration;
  else if constexpr (std::is_same_v<T, std::string>) return ParamType::string;
  else if constexpr (std::is_same_v<T, std::vector<std::string>>) return ParamType::string_list;
  else {
    static_assert(std::is_same_v<T, DurationMap>, "a parameter member has one of the ParamValue types");
    return ParamType::duration_map;
  }
}
}  // namespace detail

// A member of P, read and written as a ParamValue of its type.
template <class P>
class ParamMember {
 public:
  // Implicit, so that a field reads `.member = &P::name`.
  template <class T>
  ParamMember(T P::*member)
      : type_(detail::param_type<T>()),
        get_([member](const P& p) { return ParamValue(std::in_place_type<T>, p.*member); }),
        set_([member](P& p, const ParamValue& v) { p.*member = std::get<T>(v); }) {}

  ParamType type() const { return type_; }
  ParamValue get(const P& p) const { return get_(p); }
  void set(P& p, const ParamValue& v) const { set_(p, v); }

 private:
  ParamType type_;
  std::function<ParamValue(const P&)> get_;
  std::function<void(P&, const ParamValue&)> set_;
};

// One member of a check's parameter struct P under its TOML name.
template <class P>
struct ParamField {
  std::string name;
  ParamMember<P> member;
  std::string description;
  std::optional<double> min = std::nullopt;  // integers, numbers; durations in seconds
  std::optional<double> max = std::nullopt;
};

// What the config loader needs besides the ParamSpecs, without knowing P.
struct ParamBinding {
  Params defaults;
  // `params` with the field CheckInfo::params[index] set to `value` (of that field's type).
  std::function<Params(const Params& params, std::size_t index, const ParamValue& value)> with;
};

// ---- Check definition ------------------------------------------------------
struct FrameworkRef {
  std::string framework;  // "SOC 2", "PCI DSS v4.0", "GDPR"
  std::string reference;  // "CC6.1", "8.3.9", "Art. 32"
};

struct CheckInfo {
  std::string id;
  std::string title;
  Severity default_severity = Severity::medium;
  std::vector<std::string> checklist_items;  // the reference pages' checklist lines it enforces
  std::string rationale;
  std::string remediation;
  std::vector<ParamSpec> params;  // derived by make_check
  std::vector<FrameworkRef> frameworks;
  // Every fact kind the check reads, and only those: a failed source providing
  // one makes the check incomplete, and the cycle frees a kind once all its
  // readers are done (reading an undeclared kind would read freed memory).
  std::vector<FactKind> needs;
  // state: a finding resolves by itself once no longer seen; incident: it
  // records something that happened and stays open until acknowledged.
  FindingKind kind = FindingKind::state;
  // Subjects of an incident check that are states all the same.
  std::vector<std::string> state_subjects;
  // Subject prefixes of a state check whose findings are incidents all the
  // same (a read by the wrong reader happened, even after the log rotates).
  std::vector<std::string> incident_prefixes;
  // Evaluated after every other check, with Facts::check_failures set:
  // source-unavailable reports a check that failed.
  bool runs_last = false;
  ParamBinding binding;  // set by make_check
};

// The kind of one of the check's findings.
FindingKind finding_kind(const CheckInfo& info, std::string_view subject);

struct CheckContext {
  const Facts& facts;
  Time now;
  const Params& params;
  Severity severity;  // configured severity (default or override)
};

using CheckFn = std::function<std::vector<Finding>(const CheckContext&)>;

struct CheckDef {
  CheckInfo info;
  CheckFn evaluate;
};

// The check's default parameters (empty for a check without any).
Params default_params(const CheckInfo& info);

// A check as configured under [checks.<id>]; the config has one for every
// registered check, defaults filled in.
struct CheckConfig {
  bool enabled = true;
  Severity severity = Severity::medium;
  Params params;
};
using CheckConfigs = std::map<std::string, CheckConfig>;

// ---- Checks with parameters ---------------------------------------------------
// A check whose evaluation receives its parameter struct P. `info.params` and
// `info.binding` are derived from `fields`, defaults read from P{}.
template <class P>
CheckDef make_check(CheckInfo info, std::vector<ParamField<P>> fields,
                    std::function<std::vector<Finding>(const CheckContext&, const P&)> evaluate) {
  const P defaults{};
  for (const auto& f : fields) {
    info.params.push_back(ParamSpec{f.name, f.member.type(), f.member.get(defaults), f.description, f.min, f.max});
  }
  info.binding.defaults = Params::of(defaults);
  info.binding.with = [fields = std::move(fields)](const Params& params, std::size_t index, const ParamValue& value) {
    P p = params.as<P>();
    fields.at(index).member.set(p, value);
    return Params::of(std::move(p));
  };
  return CheckDef{std::move(info), [evaluate = std::move(evaluate)](const CheckContext& ctx) {
                    return evaluate(ctx, ctx.params.as<P>());
                  }};
}

// Check `def`'s configured parameters, or its defaults when `checks` lacks it.
template <class P>
const P& configured_params(const CheckConfigs& checks, const CheckDef& def) {
  auto it = checks.find(def.info.id);
  return (it != checks.end() ? it->second.params : def.info.binding.defaults).as<P>();
}

}  // namespace complyd
