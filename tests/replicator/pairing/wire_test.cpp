#include "replicator/pairing/wire.hpp"

#include <sstream>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace lbha::pairing {
namespace {

lbha::v1::ReceiveRequest config_request() {
  lbha::v1::ReceiveRequest request;
  *request.mutable_config() = testing::one_service_config();
  request.mutable_config()->set_generation(3);
  return request;
}

TEST(wire, a_fetched_config_travels_in_the_reply_line_and_garbage_is_refused) {
  for (int services : {0, 1, 2, 3}) {  // every base64 padding length
    lbha::v1::ClusterConfig config;
    for (int i = 0; i < services; ++i)
      *config.add_virtual_services() =
          testing::one_service_config("vs" + std::to_string(i)).virtual_services(0);
    config.set_generation(9);
    config.set_term(4);
    receive_reply reply{true, "lb2", 9, 4, "c", encode_config_message(config)};
    auto parsed = parse_reply("banner\n" + format_reply(reply));
    ASSERT_TRUE(parsed) << parsed.error();
    auto decoded = decode_config_message(parsed.value().message);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded.value().SerializeAsString(), config.SerializeAsString());
  }
  for (const char* garbage : {"", "abc", "not base64!!", "////"}) {
    auto decoded = decode_config_message(garbage);
    ASSERT_FALSE(decoded) << garbage;
    EXPECT_EQ(decoded.error(), errc::bad_reply);
  }
}

TEST(wire, request_round_trips) {
  std::istringstream in(encode_request(config_request()));
  auto decoded = decode_request(in);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded.value().SerializeAsString(), config_request().SerializeAsString());
}

TEST(wire, every_truncation_is_refused) {
  const auto full = encode_request(config_request());
  for (std::size_t cut = 0; cut < full.size(); cut += 7) {
    std::istringstream in(full.substr(0, cut));
    EXPECT_FALSE(decode_request(in)) << "cut at " << cut;
  }
}

TEST(wire, truncated_body_says_nothing_applied) {
  const auto full = encode_request(config_request());
  std::istringstream in(full.substr(0, full.size() - 1));
  auto decoded = decode_request(in);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error(), errc::bad_request);
  EXPECT_NE(decoded.error().message().find("nothing applied"), std::string::npos);
}

TEST(wire, corrupted_body_is_refused) {
  auto full = encode_request(config_request());
  full.back() ^= 0x01;
  std::istringstream in(full);
  auto decoded = decode_request(in);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message().find("digest"), std::string::npos);
}

TEST(wire, foreign_input_is_refused) {
  std::istringstream in("generation: 5\nvirtual_services: []\n");
  EXPECT_FALSE(decode_request(in));
}

TEST(wire, reply_round_trips_and_survives_banner_noise) {
  receive_reply reply{true, "lb2", 7, 2, "abc", "applied generation 7; reloaded\nproxyd"};
  auto line = format_reply(reply);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto parsed = parse_reply("Welcome to lb2\nMOTD -- here\n" + line + "\n");
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_TRUE(parsed.value().ok);
  EXPECT_EQ(parsed.value().node, "lb2");
  EXPECT_EQ(parsed.value().generation, 7u);
  EXPECT_EQ(parsed.value().term, 2u);
  EXPECT_EQ(parsed.value().cluster_id, "abc");
  EXPECT_EQ(parsed.value().message, "applied generation 7; reloaded proxyd");

  receive_reply refused{false, "lb2", 5, 0, "", "refused: a -- b = c"};
  auto back = parse_reply(format_reply(refused)).value();
  EXPECT_FALSE(back.ok);
  EXPECT_EQ(back.message, "refused: a -- b = c");
  EXPECT_FALSE(parse_reply("bash: lbha-receive-config: command not found\n"));
}

}  // namespace
}  // namespace lbha::pairing
