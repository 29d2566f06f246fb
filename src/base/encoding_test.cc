#include "base/encoding.h"

#include <gtest/gtest.h>

namespace graft::base {
namespace {

TEST(Encoding, Base64RoundTripsRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain) << encoded;
    std::string unpadded = encoded.substr(0, encoded.find('='));
    EXPECT_EQ(base64_decode(unpadded), plain) << unpadded;
    EXPECT_EQ(base64url_encode(plain), unpadded);
    EXPECT_EQ(base64url_decode(unpadded), plain) << unpadded;
  }
}

TEST(Encoding, Base64UrlUsesTheUrlAlphabet) {
  std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64_encode(bytes), "+/+/");
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(base64url_decode("-_-_"), bytes);
  EXPECT_EQ(base64url_decode("+/+/"), std::nullopt);
  EXPECT_EQ(base64_decode("-_-_"), std::nullopt);
}

TEST(Encoding, MalformedBase64IsRefused) {
  for (std::string_view text : {"Z", "Zm9v!", "Zm=v", "Zg===", "Zm9vY", "Zg=\n=", "Z m9v"}) {
    EXPECT_EQ(base64_decode(text), std::nullopt) << text;
    EXPECT_EQ(base64url_decode(text), std::nullopt) << text;
  }
}

TEST(Encoding, Hex) {
  EXPECT_EQ(hex_encode(std::string("\x00\x1f\xab", 3)), "001fab");
  EXPECT_EQ(hex_decode("001FaB"), std::string("\x00\x1f\xab", 3));
  EXPECT_EQ(hex_decode("abc"), std::nullopt);
  EXPECT_EQ(hex_decode("zz"), std::nullopt);
}

}  // namespace
}  // namespace graft::base
