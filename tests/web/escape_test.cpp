// Escaping and the small parsers every request goes through.
#include "web/escape.hpp"

#include <gtest/gtest.h>

#include "web/form.hpp"

namespace lbha::web {
namespace {

TEST(web_escape, html_escapes_every_markup_character) {
  EXPECT_EQ(html_escape("<script>alert('x' & \"y\")</script>"),
            "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;");
  EXPECT_EQ(html_escape("IIS_VIP 192.0.2.100:443"), "IIS_VIP 192.0.2.100:443");
  EXPECT_EQ(html_escape(""), "");
  EXPECT_EQ(html_escape("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes unchanged
}

TEST(web_escape, url_decode_handles_plus_percent_and_bad_escapes) {
  EXPECT_EQ(url_decode("a+b%20c%2Fd"), "a b c/d");
  EXPECT_EQ(url_decode("%3cscript%3E"), "<script>");
  EXPECT_EQ(url_decode("100%"), "100%");
  EXPECT_EQ(url_decode("%zz%4"), "%zz%4");
}

TEST(web_form, parses_fields_and_keeps_the_first_of_a_repeat) {
  auto f = parse_form("user=admin&password=p%40ss+word&&csrf=abc&user=other&flag");
  EXPECT_EQ(f["user"], "admin");
  EXPECT_EQ(f["password"], "p@ss word");
  EXPECT_EQ(f["csrf"], "abc");
  EXPECT_EQ(f["flag"], "");
  EXPECT_TRUE(parse_form("").empty());
}

TEST(web_form, finds_a_cookie_among_others) {
  EXPECT_EQ(cookie_value("a=1; lbha_session=abc123;b=2", "lbha_session"), "abc123");
  EXPECT_EQ(cookie_value("lbha_session=x", "lbha_session"), "x");
  EXPECT_FALSE(cookie_value("xlbha_session=1; other=2", "lbha_session"));
  EXPECT_FALSE(cookie_value("", "lbha_session"));
}

}  // namespace
}  // namespace lbha::web
