// status_test.cpp: the reason-phrase table, registered and generic.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "response/status.hpp"
#include "support/grammar.hpp"

using lesto::http::reason_phrase;

TEST(Status, RegisteredPhrasesSpotChecks) {
    const std::pair<int, std::string_view> phrases[] = {
        {100, "Continue"},
        {101, "Switching Protocols"},
        {103, "Early Hints"},
        {200, "OK"},
        {203, "Non-Authoritative Information"},
        {204, "No Content"},
        {208, "Already Reported"},
        {226, "IM Used"},
        {301, "Moved Permanently"},
        {304, "Not Modified"},
        {306, "(Unused)"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {416, "Range Not Satisfiable"},
        {418, "I'm a teapot"},
        {421, "Misdirected Request"},
        {422, "Unprocessable Content"},
        {425, "Too Early"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {451, "Unavailable For Legal Reasons"},
        {500, "Internal Server Error"},
        {505, "HTTP Version Not Supported"},
        {508, "Loop Detected"},
        {510, "Not Extended"},
        {511, "Network Authentication Required"},
    };
    for (const auto& [code, phrase] : phrases) {
        EXPECT_EQ(reason_phrase(code), phrase) << code;
    }
}

TEST(Status, EveryRegisteredCodeHasItsOwnPhrase) {
    const int registered[] = {100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208,
                              226, 300, 301, 302, 303, 304, 305, 306, 307, 308, 400, 401, 402,
                              403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415,
                              416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
                              500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511};
    for (int code : registered) {
        std::string_view phrase = reason_phrase(code);
        EXPECT_FALSE(phrase.empty()) << code;
        EXPECT_FALSE(phrase.starts_with("Unknown")) << code << " " << phrase;
    }
}

TEST(Status, UnregisteredCodesGetTheirClassPhrase) {
    const std::pair<std::string_view, std::vector<int>> classes[] = {
        {"Unknown Informational", {104, 199}}, {"Unknown Success", {209, 299}},
        {"Unknown Redirection", {309}},        {"Unknown Client Error", {419, 427, 499}},
        {"Unknown Server Error", {509, 599}},
    };
    for (const auto& [phrase, codes] : classes) {
        for (int code : codes) EXPECT_EQ(reason_phrase(code), phrase) << code;
    }
}

TEST(Status, EveryCodeInRangeHasAPhraseSafeForTheStatusLine) {
    for (int code = 100; code <= 599; ++code) {
        std::string_view phrase = reason_phrase(code);
        ASSERT_FALSE(phrase.empty()) << code;
        // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ): a field value's bytes
        ASSERT_TRUE(lesto::test::field_value(phrase)) << code;
    }
}

TEST(Status, OutOfRangeIsEmpty) {
    for (int code : {-1, 0, 1, 99, 600, 999, 1000, 2147483647, -2147483647 - 1}) {
        EXPECT_TRUE(reason_phrase(code).empty()) << code;
    }
}
