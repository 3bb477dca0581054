// SPDX-License-Identifier: Apache-2.0
// The outbox's delivery ownership and pruning: a claimed message is not
// claimed again while its lease lives, an expired lease is taken over, and
// sent bodies are emptied after the retention while the rows stay.
#include <gtest/gtest.h>

#include "daemon/notify/outbox.hpp"
#include "daemon/store/state_store.hpp"
#include "fact_builders.hpp"
#include "temp_dir.hpp"

namespace complyd::testing {
namespace {

void enqueue_plain(sql::Db& db, const std::string& key, Time at) {
  sql::Stmt s(db,
              "INSERT INTO outbox(idempotency_key, kind, recipients, subject, message_id, message, status, "
              "next_attempt_at, expires_at, created_at) VALUES (?,'digest','a@example.com','s','<m>','BODY',"
              "'pending',?,?,?)");
  s.bind(1, key).bind(2, to_unix(at)).bind(3, to_unix(at + days(3))).bind(4, to_unix(at)).run();
}

std::string outbox_text(sql::Db& db, const std::string& column, std::int64_t id) {
  sql::Stmt s(db, "SELECT coalesce(" + column + ", '') FROM outbox WHERE id = ?");
  s.bind(1, id);
  return s.step() ? s.text(0) : "?";
}

TEST(OutboxLease, AClaimedMessageIsNotClaimedByAnotherProcessUntilItsLeaseExpires) {
  TempDir t;
  StateStore store(t.path / "state.db");
  enqueue_plain(store.db(), "k1", kNow);
  // A second connection stands for a second process.
  sql::Db other(t.path / "state.db", sql::OpenMode::read_write_create);
  const Duration lease{300};

  auto a = notify::claim_message(store.db(), kNow, "host:1:aa", kNow, lease);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->message, "BODY");
  EXPECT_EQ(outbox_text(store.db(), "lease_owner", a->id), "host:1:aa");
  EXPECT_FALSE(notify::claim_message(other, kNow, "host:2:bb", kNow + Duration{299}, lease));

  // The owner crashed: once the lease expired, another deliverer takes over.
  auto b = notify::claim_message(other, kNow, "host:2:bb", kNow + lease, lease);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, a->id);
  notify::mark_sent(other, b->id, kNow, "250 ok");
  EXPECT_EQ(outbox_text(other, "lease_owner", b->id), "");
  EXPECT_FALSE(notify::claim_message(store.db(), kNow, "host:1:aa", kNow + days(1), lease));
}

TEST(OutboxLease, AFailedSendReleasesTheLeaseForTheRetry) {
  TempDir t;
  StateStore store(t.path / "state.db");
  enqueue_plain(store.db(), "k1", kNow);
  SmtpConfig smtp;
  auto a = notify::claim_message(store.db(), kNow, "host:1:aa", kNow, Duration{3600});
  ASSERT_TRUE(a);
  notify::mark_failed(store.db(), a->id, kNow, "451 later", smtp);
  // Due again after the backoff, not after the hour-long lease.
  auto b = notify::claim_message(store.db(), kNow + smtp.retry_initial, "host:2:bb", kNow, Duration{3600});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, a->id);
}

TEST(OutboxLease, TheLeaseOutlivesOneSendAttempt) {
  SmtpConfig smtp;
  EXPECT_GT(notify::delivery_lease(smtp), smtp.connect_timeout + smtp.timeout);
}

TEST(OutboxPrune, SentBodiesOlderThanTheRetentionAreEmptiedAndTheRowsKept) {
  TempDir t;
  StateStore store(t.path / "state.db");
  auto& db = store.db();
  enqueue_plain(db, "old", kNow - days(40));
  enqueue_plain(db, "recent", kNow - days(10));
  enqueue_plain(db, "unsent", kNow - days(40));
  notify::mark_sent(db, 1, kNow - days(40), "250");
  notify::mark_sent(db, 2, kNow - days(10), "250");

  EXPECT_EQ(notify::prune_sent(db, kNow, days(30)), 1);
  EXPECT_EQ(outbox_text(db, "message", 1), "");
  EXPECT_EQ(outbox_text(db, "pruned_at", 1), std::to_string(to_unix(kNow)));
  EXPECT_EQ(outbox_text(db, "idempotency_key", 1), "old");   // the evidence stays
  EXPECT_EQ(outbox_text(db, "recipients", 1), "a@example.com");
  EXPECT_EQ(outbox_text(db, "sent_at", 1), std::to_string(to_unix(kNow - days(40))));
  EXPECT_EQ(outbox_text(db, "message", 2), "BODY");           // within the retention
  EXPECT_EQ(outbox_text(db, "message", 3), "BODY");           // never sent: never pruned
  EXPECT_EQ(notify::prune_sent(db, kNow, days(30)), 0);       // pruned once
  sql::Stmt n(db, "SELECT count(*) FROM outbox");
  n.step();
  EXPECT_EQ(n.i64(0), 3);
}

}  // namespace
}  // namespace complyd::testing
