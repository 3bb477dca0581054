// The check framework: what a check is, what it receives, what it returns.
// Deliberately free of I/O headers: a check is a pure function of a facts
// snapshot, the evaluation time and its typed parameters.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "model/facts.hpp"
#include "model/finding.hpp"

namespace complyd {

// ---- Parameters ------------------------------------------------------------
// A threshold travels TOML -> typed ParamValue -> check, and nowhere else.
using DurationMap = std::map<std::string, Duration>;
using ParamValue = std::variant<bool, std::int64_t, double, Duration, std::string,
                                std::vector<std::string>, DurationMap>;

enum class ParamType : std::uint8_t { boolean, integer, number, duration, string, string_list, duration_map };
const char* to_string(ParamType t);

struct ParamSpec {
  std::string name;
  ParamType type;
  ParamValue default_value;
  std::string description;
  std::optional<double> min;  // integers, numbers; durations in seconds
  std::optional<double> max;
};

class Params {
 public:
  Params() = default;
  explicit Params(std::map<std::string, ParamValue> values) : values_(std::move(values)) {}

  bool boolean(const std::string& name) const { return get<bool>(name); }
  std::int64_t integer(const std::string& name) const { return get<std::int64_t>(name); }
  double number(const std::string& name) const { return get<double>(name); }
  Duration duration(const std::string& name) const { return get<Duration>(name); }
  const std::string& string(const std::string& name) const { return get<std::string>(name); }
  const std::vector<std::string>& string_list(const std::string& name) const {
    return get<std::vector<std::string>>(name);
  }
  const DurationMap& duration_map(const std::string& name) const { return get<DurationMap>(name); }

  const std::map<std::string, ParamValue>& values() const { return values_; }
  void set(const std::string& name, ParamValue v) { values_[name] = std::move(v); }

 private:
  template <class T>
  const T& get(const std::string& name) const;
  std::map<std::string, ParamValue> values_;
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
  std::vector<ParamSpec> params;
  std::vector<FrameworkRef> frameworks;
  // Every fact kind the check reads, and only those: a failed source providing
  // one makes the check incomplete, and the cycle frees a kind once all its
  // readers are done (reading an undeclared kind would read freed memory).
  std::vector<FactKind> needs;
};

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

// Params filled with the check's declared defaults.
Params default_params(const CheckInfo& info);

// ---- template implementation ------------------------------------------------
class ParamError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

template <class T>
const T& Params::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw ParamError("check parameter not set: " + name);
  const T* v = std::get_if<T>(&it->second);
  if (v == nullptr) throw ParamError("check parameter has another type: " + name);
  return *v;
}

}  // namespace complyd
