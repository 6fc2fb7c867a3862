// status_test.cpp: the reason-phrase table, registered and generic.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "response/status.hpp"

using lesto::http::reason_phrase;

TEST(Status, RegisteredPhrasesSpotChecks) {
    EXPECT_EQ(reason_phrase(100), "Continue");
    EXPECT_EQ(reason_phrase(101), "Switching Protocols");
    EXPECT_EQ(reason_phrase(103), "Early Hints");
    EXPECT_EQ(reason_phrase(200), "OK");
    EXPECT_EQ(reason_phrase(203), "Non-Authoritative Information");
    EXPECT_EQ(reason_phrase(204), "No Content");
    EXPECT_EQ(reason_phrase(208), "Already Reported");
    EXPECT_EQ(reason_phrase(226), "IM Used");
    EXPECT_EQ(reason_phrase(301), "Moved Permanently");
    EXPECT_EQ(reason_phrase(304), "Not Modified");
    EXPECT_EQ(reason_phrase(306), "(Unused)");
    EXPECT_EQ(reason_phrase(308), "Permanent Redirect");
    EXPECT_EQ(reason_phrase(400), "Bad Request");
    EXPECT_EQ(reason_phrase(404), "Not Found");
    EXPECT_EQ(reason_phrase(405), "Method Not Allowed");
    EXPECT_EQ(reason_phrase(413), "Content Too Large");
    EXPECT_EQ(reason_phrase(414), "URI Too Long");
    EXPECT_EQ(reason_phrase(416), "Range Not Satisfiable");
    EXPECT_EQ(reason_phrase(418), "I'm a teapot");
    EXPECT_EQ(reason_phrase(421), "Misdirected Request");
    EXPECT_EQ(reason_phrase(422), "Unprocessable Content");
    EXPECT_EQ(reason_phrase(425), "Too Early");
    EXPECT_EQ(reason_phrase(429), "Too Many Requests");
    EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
    EXPECT_EQ(reason_phrase(451), "Unavailable For Legal Reasons");
    EXPECT_EQ(reason_phrase(500), "Internal Server Error");
    EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
    EXPECT_EQ(reason_phrase(508), "Loop Detected");
    EXPECT_EQ(reason_phrase(510), "Not Extended");
    EXPECT_EQ(reason_phrase(511), "Network Authentication Required");
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
    EXPECT_EQ(reason_phrase(104), "Unknown Informational");
    EXPECT_EQ(reason_phrase(199), "Unknown Informational");
    EXPECT_EQ(reason_phrase(209), "Unknown Success");
    EXPECT_EQ(reason_phrase(299), "Unknown Success");
    EXPECT_EQ(reason_phrase(309), "Unknown Redirection");
    EXPECT_EQ(reason_phrase(419), "Unknown Client Error");
    EXPECT_EQ(reason_phrase(427), "Unknown Client Error");
    EXPECT_EQ(reason_phrase(499), "Unknown Client Error");
    EXPECT_EQ(reason_phrase(509), "Unknown Server Error");
    EXPECT_EQ(reason_phrase(599), "Unknown Server Error");
}

TEST(Status, EveryCodeInRangeHasAPhraseSafeForTheStatusLine) {
    for (int code = 100; code <= 599; ++code) {
        std::string_view phrase = reason_phrase(code);
        ASSERT_FALSE(phrase.empty()) << code;
        for (char c : phrase) {
            // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
            ASSERT_TRUE(c == '\t' || (c >= 0x20 && c != 0x7f)) << code;
        }
    }
}

TEST(Status, OutOfRangeIsEmpty) {
    for (int code : {-1, 0, 1, 99, 600, 999, 1000, 2147483647, -2147483647 - 1}) {
        EXPECT_TRUE(reason_phrase(code).empty()) << code;
    }
}
