// SPDX-License-Identifier: Apache-2.0
#include "daemon/store/chain.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "daemon/util/crypto.hpp"

namespace complyd::chain {
namespace {

// As Python's json.dumps(ensure_ascii=False): the auditor's script rebuilds
// the same bytes (docs/history-chain.md).
void append_string(std::string& out, std::string_view s) {
  static const char* digits = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += digits[(c >> 4) & 0xf];
          out += digits[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_record(std::string& out, const char* const* names, const Value* values, std::size_t n) {
  out += '{';
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += ',';
    append_string(out, names[i]);
    out += ':';
    switch (values[i].kind) {
      case Value::Kind::null: out += "null"; break;
      case Value::Kind::integer: fmt::format_to(std::back_inserter(out), "{}", values[i].i); break;
      case Value::Kind::text: append_string(out, values[i].s); break;
    }
  }
  out += '}';
}

void wrap(std::string& out, std::string_view record, std::string_view table, std::int64_t seq) {
  out += "{\"record\":";
  out += record;
  fmt::format_to(std::back_inserter(out), ",\"seq\":{},\"table\":", seq);
  append_string(out, table);
  out += '}';
}

// A row as read back for verification.
struct Row {
  std::string table;
  std::int64_t id = 0;
  std::optional<std::int64_t> seq;
  std::string hash;
  std::optional<Time> at;
  std::string record_json;
};

struct TableDef {
  const char* table;
  const char* const* columns;
  std::size_t n;
  const char* time_column;
};

const TableDef kEvents{"finding_events", kEventColumns, std::size(kEventColumns), "at"};
const TableDef kCycles{"cycles", kCycleColumns, std::size(kCycleColumns), "finished_at"};
const TableDef kOutbox{"outbox", kOutboxColumns, std::size(kOutboxColumns), "sent_at"};

std::string select_of(const TableDef& t, std::string_view where) {
  std::string q = fmt::format("SELECT id, chain_seq, coalesce(chain_hash, ''), {}", t.time_column);
  for (std::size_t i = 0; i < t.n; ++i) q += fmt::format(", {}", t.columns[i]);
  return q + fmt::format(" FROM {} WHERE {}", t.table, where);
}

// The record object from the row's own columns (4 on).
Row read_row(const TableDef& t, const sql::Stmt& s) {
  Row r;
  r.table = t.table;
  r.id = s.i64(0);
  r.seq = s.opt_i64(1);
  r.hash = s.text(2);
  if (auto v = s.opt_i64(3)) r.at = from_unix(*v);
  std::vector<std::string> texts(t.n);
  std::vector<Value> values(t.n);
  for (std::size_t i = 0; i < t.n; ++i) {
    const int col = static_cast<int>(i) + 4;
    switch (s.type(col)) {
      case SQLITE_NULL: break;
      case SQLITE_INTEGER: values[i] = Value::of(s.i64(col)); break;
      default:
        // Texts, and anything else as its text: a REAL or BLOB put in by
        // hand then fails its hash instead of being skipped.
        texts[i] = s.text(col);
        values[i] = Value::of(std::string_view(texts[i]));
    }
  }
  append_record(r.record_json, t.columns, values.data(), t.n);
  return r;
}

std::vector<Row> read_rows(sql::Db& db, const TableDef& t, std::string_view where, std::int64_t after) {
  sql::Stmt s(db, select_of(t, where));
  s.bind(1, after);
  std::vector<Row> out;
  while (s.step()) out.push_back(read_row(t, s));
  return out;
}

// Reads the whole walk in one snapshot, even while another process appends.
class ReadTransaction {
 public:
  explicit ReadTransaction(sql::Db& db) : db_(db) {
    if (sqlite3_get_autocommit(db_.handle()) != 0) {
      db_.exec("BEGIN");
      open_ = true;
    }
  }
  ~ReadTransaction() {
    if (open_) sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr);
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  sql::Db& db_;
  bool open_ = false;
};

}  // namespace

void canonical(std::string& out, std::string_view table, std::int64_t seq, const char* const* names,
               const Value* values, std::size_t n) {
  std::string record;
  append_record(record, names, values, n);
  wrap(out, record, table, seq);
}

std::string link_hash(std::string_view prev_hash, std::string_view canonical_form) {
  std::string buf;
  buf.reserve(prev_hash.size() + canonical_form.size());
  buf += prev_hash;
  buf += canonical_form;
  return sha256_hex(buf);
}

Head read_head(sql::Db& db) {
  sql::Stmt s(db, "SELECT seq, hash FROM history_chain WHERE id = 1");
  Head h;
  if (s.step()) {
    h.seq = s.i64(0);
    h.hash = s.text(1);
  }
  return h;
}

Writer::Writer(sql::Db& db) : db_(db), head_(read_head(db)) {}

Writer::Link Writer::append(std::string_view table, const char* const* names, const Value* values, std::size_t n) {
  // prev_hash followed by the canonical form, hashed in one buffer.
  record_.clear();
  append_record(record_, names, values, n);
  return append_json(table, record_);
}

Writer::Link Writer::append_json(std::string_view table, std::string_view record) {
  buf_.assign(head_.hash);
  const std::int64_t seq = head_.seq + 1;
  wrap(buf_, record, table, seq);
  head_.hash = sha256_hex(buf_);
  head_.seq = seq;
  dirty_ = true;
  return {seq, head_.hash};
}

void Writer::save() {
  if (!dirty_) return;
  sql::Stmt s(db_, "INSERT INTO history_chain(id, seq, hash) VALUES (1, ?, ?) "
                   "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash");
  s.bind(1, head_.seq).bind(2, head_.hash).run();
  dirty_ = false;
}

Writer::Link append_event(Writer& w, const EventRow& e) {
  auto opt = [](const std::optional<std::string_view>& v) { return v ? Value::of(*v) : Value::none(); };
  const Value values[] = {opt(e.actor),         Value::of(e.at),      Value::of(e.cycle_id),
                          Value::of(e.event),   Value::of(e.finding_id), opt(e.from_status),
                          Value::of(e.id),      opt(e.reason),        Value::of(e.severity),
                          Value::of(e.to_status)};
  return w.append("finding_events", kEventColumns, values);
}

std::int64_t next_event_id(sql::Db& db) {
  sql::Stmt s(db, "SELECT coalesce(max(id), 0) + 1 FROM finding_events");
  s.step();
  return s.i64(0);
}

namespace {
// Chains stored rows as they are (the migration, a message marked sent).
void chain_rows(sql::Db& db, Writer& w, const TableDef& t, std::string_view where, std::int64_t arg = 0) {
  const auto rows = read_rows(db, t, where, arg);
  sql::Stmt u(db, fmt::format("UPDATE {} SET chain_seq = ?, chain_hash = ? WHERE id = ?", t.table));
  for (const auto& r : rows) {
    const auto link = w.append_json(t.table, r.record_json);
    u.reset();
    u.bind(1, link.seq).bind(2, link.hash).bind(3, r.id).run();
  }
}
}  // namespace

void chain_sent_message(sql::Db& db, std::int64_t id) {
  Writer w(db);
  chain_rows(db, w, kOutbox, "id = ?1 AND status = 'sent'", id);
  w.save();
}

void chain_existing(sql::Db& db) {
  Writer w(db);
  chain_rows(db, w, kCycles, "?1 = 0 ORDER BY id");
  chain_rows(db, w, kEvents, "?1 = 0 ORDER BY id");
  chain_rows(db, w, kOutbox, "status = 'sent' AND ?1 = 0 ORDER BY id");
  w.save();
}

Verification verify(sql::Db& db, const Checkpoint& from, const std::function<void(const Record&)>& visit) {
  ReadTransaction read(db);
  Verification v;
  v.checkpoint = from;
  auto& r = v.result;
  r.verified = true;
  const Head head = read_head(db);
  // Cycles and sent messages are few: read whole, in chain order (rows
  // without a chain entry first: they break the chain wherever they are).
  auto others = read_rows(db, kCycles, "chain_seq IS NULL OR chain_seq > ?1", from.seq);
  auto sent = read_rows(db, kOutbox, "(status = 'sent' AND chain_seq IS NULL) OR chain_seq > ?1", from.seq);
  others.insert(others.end(), std::make_move_iterator(sent.begin()), std::make_move_iterator(sent.end()));
  std::stable_sort(others.begin(), others.end(),
                   [](const Row& a, const Row& b) { return a.seq.value_or(0) < b.seq.value_or(0); });
  // Finding events are many: streamed in id order, which is chain order.
  sql::Stmt ev(db, select_of(kEvents, "id > ?1 ORDER BY id"));
  ev.bind(1, from.event_id);
  std::optional<Row> event;
  auto next_event = [&] {
    event.reset();
    if (ev.step()) event = read_row(kEvents, ev);
  };
  next_event();
  std::size_t oi = 0;

  auto broken = [&](const Row& row, std::int64_t seq, std::string problem) {
    r.intact = false;
    r.table = row.table;
    r.row_id = row.id;
    r.seq = seq;
    r.problem = std::move(problem);
    r.head_seq = v.checkpoint.seq;  // the last record that verified
    r.head_hash = v.checkpoint.hash;
  };

  Record rec;
  while (true) {
    const Row* row = nullptr;
    const bool have_other = oi < others.size();
    const bool is_event = event && (!event->seq || !have_other || *event->seq <= others[oi].seq.value_or(0));
    if (is_event) {
      row = &*event;
    } else if (have_other) {
      row = &others[oi];
    }
    if (row == nullptr) break;
    const std::int64_t expected = v.checkpoint.seq + 1;
    if (!row->seq) {
      broken(*row, 0, "the row has no chain entry: it was inserted outside complyd");
      return v;
    }
    if (*row->seq < expected) {
      broken(*row, *row->seq,
             fmt::format("sequence {} repeats or is out of order (expected {}): an inserted or copied row",
                         *row->seq, expected));
      return v;
    }
    if (*row->seq > expected) {
      broken(*row, *row->seq,
             *row->seq == expected + 1
                 ? fmt::format("record {} before it is missing: a deleted row", expected)
                 : fmt::format("records {}..{} before it are missing: deleted rows", expected, *row->seq - 1));
      return v;
    }
    rec.canonical.clear();
    wrap(rec.canonical, row->record_json, row->table, *row->seq);
    std::string buf = v.checkpoint.hash;
    buf += rec.canonical;
    if (sha256_hex(buf) != row->hash) {
      broken(*row, *row->seq, "the row does not match its hash: it was edited after it was recorded");
      return v;
    }
    if (visit) {
      rec.table = row->table;
      rec.id = row->id;
      rec.seq = *row->seq;
      rec.at = row->at;
      rec.record_json = row->record_json;
      rec.prev_hash = v.checkpoint.hash;
      rec.stored_hash = row->hash;
      visit(rec);
    }
    v.checkpoint.seq = *row->seq;
    v.checkpoint.hash = row->hash;
    ++r.records;
    if (is_event) {
      v.checkpoint.event_id = row->id;
      next_event();
    } else {
      ++oi;
    }
  }
  if (head.seq > v.checkpoint.seq) {
    r.intact = false;
    r.table = "history_chain";
    r.row_id = 1;
    r.seq = v.checkpoint.seq + 1;
    r.problem = fmt::format("records {}..{} at the end of the chain are missing: deleted rows",
                            v.checkpoint.seq + 1, head.seq);
  } else if (head.seq < v.checkpoint.seq || (head.seq > 0 && head.hash != v.checkpoint.hash)) {
    r.intact = false;
    r.table = "history_chain";
    r.row_id = 1;
    r.seq = head.seq;
    r.problem = fmt::format("the stored head (record {}) does not match the last record ({})", head.seq,
                            v.checkpoint.seq);
  }
  r.head_seq = v.checkpoint.seq;
  r.head_hash = v.checkpoint.hash;
  return v;
}

}  // namespace complyd::chain
