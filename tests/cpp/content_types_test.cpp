// content_types_test.cpp: a file's Content-Type from its extension, and the checks on the table.
#include "files/content_types.hpp"

#include <gtest/gtest.h>
#include <string>

namespace {

using lesto::files::ContentType;
using lesto::files::ContentTypeError;
using lesto::files::ContentTypes;

/// A few pairs as Python's mimetypes gives them (with the leading dot).
ContentTypes sample() {
    ContentTypes t;
    const std::pair<const char*, const char*> pairs[] = {
        {".html", "text/html"},        {".css", "text/css"},
        {".js", "text/javascript"},    {".json", "application/json"},
        {".png", "image/png"},         {".jpg", "image/jpeg"},
        {".svg", "image/svg+xml"},     {".gz", "application/gzip"},
        {".tar", "application/x-tar"}, {".sarif.json", "application/sarif+json"},
        {"txt", "text/plain"},         {".wasm", "application/wasm"},
    };
    for (const auto& [ext, type] : pairs) t.add(ext, type);
    return t;
}

struct LookupCase {
    const char* path;
    ContentType want;
};

constexpr ContentType octet{ContentTypes::default_type, ""};

const LookupCase lookup_cases[] = {
    {"index.html", {"text/html", "utf-8"}},
    {"css/site.css", {"text/css", "utf-8"}},
    {"app.js", {"text/javascript", "utf-8"}},
    {"data.json", {"application/json", ""}},
    {"img/logo.png", {"image/png", ""}},
    {"PHOTO.JPG", {"image/jpeg", ""}},  // extensions ignore case
    {"photo.JpG", {"image/jpeg", ""}},
    {"notes.txt", {"text/plain", "utf-8"}},
    {"logo.svg", {"image/svg+xml", ""}},
    {"backup.tar.gz", {"application/gzip", ""}},            // ".tar.gz" not added: ".gz"
    {"report.sarif.json", {"application/sarif+json", ""}},  // the longest added suffix
    {"x.json.gz", {"application/gzip", ""}},
    {"README", octet},   // no extension
    {".bashrc", octet},  // a leading dot is no extension
    {".html", octet},
    {"dir.html/file", octet},  // only the last segment counts
    {"file.", octet},
    {"file.unknown", octet},
    {"", octet},
    {"a/b/", octet},
    {"..html", {"text/html", "utf-8"}},
};

TEST(ContentTypes, EveryLookupOfTheTable) {
    const ContentTypes t = sample();
    for (const LookupCase& c : lookup_cases) {
        const ContentType got = t.lookup(c.path);
        EXPECT_EQ(got.type, c.want.type) << c.path;
        EXPECT_EQ(got.charset, c.want.charset) << c.path;
    }
}

TEST(ContentTypes, ALaterAddReplacesInAnyCase) {
    ContentTypes t = sample();
    t.add(".JS", "application/javascript");
    EXPECT_EQ(t.lookup("a.js"), (ContentType{"application/javascript", ""}));
    t.add("md", "Text/Markdown");
    EXPECT_EQ(t.lookup("README.MD"), (ContentType{"Text/Markdown", "utf-8"}));
    EXPECT_EQ(t.size(), sample().size() + 1);
}

TEST(ContentTypes, AnEmptyTableAnswersTheDefault) {
    const ContentTypes t;
    EXPECT_EQ(t.lookup("index.html"), octet);
}

TEST(ContentTypes, ALongNameIsLookedUpByItsEnd) {
    const ContentTypes t = sample();
    std::string name(10000, 'a');
    name += ".css";
    EXPECT_EQ(t.lookup(name).type, "text/css");
    std::string dots(10000, '.');
    EXPECT_EQ(t.lookup(dots), octet);
    EXPECT_EQ(t.lookup(dots + "png"), (ContentType{"image/png", ""}));
}

TEST(ContentTypes, RefusesWhatIsNoExtensionOrNoType) {
    struct Bad {
        const char* extension;
        const char* type;
        const char* says;
    };
    const Bad bad[] = {
        {"", "text/plain", "is empty"},
        {".", "text/plain", "is empty"},
        {"a/b", "text/plain", "'/'"},
        {"a\nb", "text/plain", "control"},
        {"a..b", "text/plain", "empty part"},
        {"..a", "text/plain", "empty part"},
        {"a.", "text/plain", "empty part"},
        {".html", "text", "type/subtype"},
        {".html", "text/", "type/subtype"},
        {".html", "/html", "type/subtype"},
        {".html", "text/html; charset=utf-8", "no parameters"},
        {".html", "text/ht ml", "type/subtype"},
        {".html", "text/html\r\nX: y", "type/subtype"},
        {".html", "", "type/subtype"},
    };
    for (const Bad& b : bad) {
        ContentTypes t;
        try {
            t.add(b.extension, b.type);
            ADD_FAILURE() << "accepted " << b.extension << " " << b.type;
        } catch (const ContentTypeError& e) {
            EXPECT_NE(std::string(e.what()).find(b.says), std::string::npos) << e.what();
        }
        EXPECT_EQ(t.size(), 0u);
    }
    ContentTypes t;
    EXPECT_THROW(t.add(std::string(ContentTypes::max_extension + 1, 'x'), "a/b"), ContentTypeError);
    EXPECT_NO_THROW(t.add(std::string(ContentTypes::max_extension, 'x'), "a/b"));
}

}  // namespace
