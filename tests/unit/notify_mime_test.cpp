// SPDX-License-Identifier: Apache-2.0
// The MIME builder and the templates: pure functions.
#include <gtest/gtest.h>

#include "daemon/notify/mime.hpp"
#include "daemon/notify/templates.hpp"
#include "model/time.hpp"

namespace complyd::notify {
namespace {

MimeMessage sample() {
  MimeMessage m;
  m.from = "complyd <complyd@ops.example.com>";
  m.to = {"a@x.org", "b@x.org"};
  m.subject = "Rotation due";
  m.text = "line one\n.\nline three";
  m.html = "<p>hi</p>";
  m.date = *parse_time("2026-11-22T12:00:00Z");
  m.message_id = make_message_id("reminder:cust_1:p:1:warning", m.from);
  return m;
}

TEST(NotifyMime, HeadersAndParts) {
  const auto s = build_mime(sample());
  EXPECT_NE(s.find("Date: Sun, 22 Nov 2026 12:00:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(s.find("From: complyd <complyd@ops.example.com>\r\n"), std::string::npos);
  EXPECT_NE(s.find("To: a@x.org, b@x.org\r\n"), std::string::npos);
  EXPECT_NE(s.find("Subject: Rotation due\r\n"), std::string::npos);
  EXPECT_NE(s.find("Auto-Submitted: auto-generated\r\n"), std::string::npos);
  EXPECT_NE(s.find("Content-Type: multipart/alternative; boundary="), std::string::npos);
  EXPECT_NE(s.find("Content-Type: text/plain; charset=utf-8"), std::string::npos);
  EXPECT_NE(s.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  EXPECT_NE(s.find("Message-ID: <complyd."), std::string::npos);
  EXPECT_NE(s.find("@ops.example.com>\r\n"), std::string::npos);
  // CRLF only: no bare LF anywhere.
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n') { ASSERT_TRUE(i > 0 && s[i - 1] == '\r') << "bare LF at " << i; }
  }
}

TEST(NotifyMime, MessageIdIsStablePerKey) {
  EXPECT_EQ(make_message_id("k1", "a@b.org"), make_message_id("k1", "a@b.org"));
  EXPECT_NE(make_message_id("k1", "a@b.org"), make_message_id("k2", "a@b.org"));
}

TEST(NotifyMime, NonAsciiSubjectIsEncodedAndHeadersCannotBeInjected) {
  EXPECT_EQ(encode_header_words("plain"), "plain");
  const auto enc = encode_header_words("Rotation fällig für Hôpital");
  EXPECT_EQ(enc.rfind("=?UTF-8?B?", 0), 0u);
  EXPECT_EQ(enc.find("ä"), std::string::npos);
  auto m = sample();
  m.subject = "x\r\nBcc: evil@x.org";
  const auto s = build_mime(m);
  EXPECT_EQ(s.find("\r\nBcc:"), std::string::npos);
}

TEST(NotifyMime, Base64) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

TEST(NotifyTemplates, EveryDefaultRendersAndHtmlIsEscaped) {
  const auto t = Templates::load({});
  nlohmann::json reminder = {{"customer_name", "<script>alert(1)</script> & Co"}, {"kind_label", "API token"},
                             {"storage_path", "raise/p/c/api_token"}, {"stage_title", "Rotation due soon"},
                             {"due_phrase", "due 2026-12-02"}, {"steps", {{{"n", 1}, {"text", "Generate"}}}}};
  const auto r = t.render("reminder", reminder);
  EXPECT_NE(r.text.find("<script>"), std::string::npos);  // subject and text are not HTML
  EXPECT_NE(r.text.find("& Co"), std::string::npos);
  EXPECT_EQ(r.html.find("<script>"), std::string::npos);
  EXPECT_NE(r.html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(r.html.find("<li>Generate</li>"), std::string::npos);
  for (const auto& name : Templates::names()) EXPECT_NO_THROW(t.render(name, nlohmann::json::object())) << name;
  EXPECT_THROW(t.render("nope", {}), std::invalid_argument);
}

}  // namespace
}  // namespace complyd::notify
